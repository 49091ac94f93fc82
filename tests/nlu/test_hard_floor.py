"""Floors of the trained model on tests/nlu/hard.yml: hard, real-looking lines written by the team
(problems described instead of wishes, chasers, pinyin, abbreviations, homophones, English)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from scripts.eval_nlu import figures, parse_batch
from tests.nlu.heldout import FALLBACK, HARD, labelled, load_heldout

# Measured 0.892 and 1.000 on the first 83 lines; with the second batch (session 18) accuracy
# 0.92 and 6 of 7 out-of-scope lines caught (这个灯泡是几瓦的 is read as affirm, ~0.5): the floor
# lets one out-of-scope miss through rather than dropping a genuinely hard line from the set.
FLOORS = {"accuracy": 0.85, "oos_caught": 0.85}
MAX_IN_SCOPE_FALLBACK = 0.10
PINYIN_AND_TYPOS = {"rengong kefu": "request_human", "人工克服": "request_human",
                    "kefu ji dian xia ban": "working_hours", "咋找kf": "ask_contact_channels"}


@pytest.fixture(scope="module")
def hard_result(trained_model: Path) -> Dict[str, Any]:
    texts, gold = zip(*labelled(load_heldout(HARD)))
    predicted = [p["intent"]["name"] or FALLBACK for p in parse_batch(trained_model, texts)]
    return {"figures": figures(gold, predicted), "predicted": dict(zip(texts, predicted))}


@pytest.mark.parametrize("name, floor", sorted(FLOORS.items()))
def test_hard_floor(hard_result: Dict[str, Any], name: str, floor: float) -> None:
    value = hard_result["figures"][name]
    assert value >= floor, f"hard-set {name} {value:.3f} is below the floor {floor}"


def test_hard_in_scope_fallback(hard_result: Dict[str, Any]) -> None:
    assert hard_result["figures"]["in_scope_fallback"] <= MAX_IN_SCOPE_FALLBACK


def test_pinyin_and_typos_reach_their_intent(hard_result: Dict[str, Any]) -> None:
    got = {text: hard_result["predicted"][text] for text in PINYIN_AND_TYPOS}
    assert got == PINYIN_AND_TYPOS
