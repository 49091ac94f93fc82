"""The trained model must not regress below the floors on the held-out set (CI; no CV, no baseline)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from scripts.eval_nlu import entity_recall, figures, parse_batch
from tests.nlu.heldout import load_heldout

FLOORS = {"accuracy": 0.90, "macro_f1": 0.88, "oos_caught": 0.85}


@pytest.fixture(scope="module")
def heldout_result(trained_model: Path) -> Dict[str, Any]:
    messages = load_heldout().intent_examples
    parsed = parse_batch(trained_model, [m.get("text") for m in messages])
    gold = [m.get("intent") for m in messages]
    predicted = [p["intent"]["name"] for p in parsed]
    return {"figures": figures(gold, predicted), "entities": entity_recall(messages, parsed),
            "parsed": parsed}


@pytest.mark.parametrize("name, floor", sorted(FLOORS.items()))
def test_heldout_floor(heldout_result: Dict[str, Any], name: str, floor: float) -> None:
    value = heldout_result["figures"][name]
    assert value >= floor, f"held-out {name} {value:.3f} is below the floor {floor}"


def test_heldout_entities_found(heldout_result: Dict[str, Any]) -> None:
    entities = heldout_result["entities"]
    assert entities["recall"] >= 0.9, entities["misses"]


def test_emoji_only_lines_fall_back_with_emoji_entities(trained_model: Path) -> None:
    parsed = parse_batch(trained_model, ["😀😀", "🙄", "好的👍"])
    assert [p["intent"]["name"] for p in parsed[:2]] == ["nlu_fallback", "nlu_fallback"]
    assert [e["value"] for e in parsed[0]["entities"] if e["entity"] == "emoji"] == ["😀", "😀"]
    assert parsed[2]["text"] == "好的"
    assert [e["value"] for e in parsed[2]["entities"] if e["entity"] == "emoji"] == ["👍"]
