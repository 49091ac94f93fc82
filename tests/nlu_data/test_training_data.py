"""Checks on the NLU training data (data/nlu), the jieba dictionary and the fallback tuner.

None of these needs a trained model; the held-out evaluation lives in tests/nlu.
"""
from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INTENTS_MD = ROOT.parent / "shared" / "intents.md"
AFTER_SALES = ["refund", "not_received", "damaged_item", "ticket_followup", "file_complaint"]


def _examples() -> Dict[str, List[str]]:
    """Intent -> example lines, over every file of data/nlu."""
    found: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in block:
                lines = [line.strip()[2:].strip() for line in block["examples"].splitlines()
                         if line.strip()]
                found.setdefault(block["intent"], []).extend(lines)
    return found


def _contract_intents() -> List[str]:
    """Intent names from the intent contract table, or from domain.yml when it is not mounted."""
    if INTENTS_MD.exists():
        return re.findall(r"^\| ([a-z_]+) \|", INTENTS_MD.read_text(encoding="utf-8"), re.M)[1:]
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]


def test_intents_are_exactly_the_contract() -> None:
    assert sorted(_examples()) == sorted(_contract_intents())


def test_every_intent_has_enough_examples() -> None:
    counts = {intent: len(lines) for intent, lines in _examples().items()}
    assert min(counts.values()) >= 40, counts
    assert all(counts[intent] >= 60 for intent in AFTER_SALES), counts
    assert counts["out_of_scope"] >= 100


def test_no_line_is_labelled_twice() -> None:
    owners: Dict[str, set] = {}
    for intent, lines in _examples().items():
        for line in lines:
            owners.setdefault(line.lower(), set()).add(intent)
    clashes = {line: intents for line, intents in owners.items() if len(intents) > 1}
    assert not clashes


def test_real_user_styles_are_present() -> None:
    text = "\n".join(line for lines in _examples().values() for line in lines)
    assert re.search(r"[\uff10-\uff19\uff21-\uff5a]", text), "full-width characters"
    assert any(word in text for word in ("聯繫", "沒收到", "退款多久到帳", "轉人工")), "traditional"
    assert re.search(r"[a-zA-Z]{4,} [a-zA-Z]{2,}", text), "English"
    assert any(len(line) >= 40 for lines in _examples().values() for line in lines), "long"
    assert any(word in text for word in ("退宽", "客副", "转人宫")), "typos and homophones"


def test_jieba_dictionary_format() -> None:
    lines = (ROOT / "data" / "jieba" / "userdict.txt").read_text(encoding="utf-8").splitlines()
    words = [line.split() for line in lines if line.strip()]
    assert all(len(parts) == 3 and parts[1].isdigit() for parts in words), words
    names = Counter(parts[0] for parts in words)
    assert not [word for word, count in names.items() if count > 1]
    for needed in ("速卖通", "阿里小蜜", "关联负责人", "人工客服", "欧盟责任人", "工单", "催办",
                   "消费者保护中心", "卖家后台", "订单号", "物流单号", "转人工", "内部通道"):
        assert needed in names


@pytest.fixture(scope="module")
def tuner():
    """scripts/tune_fallback.py imported as a module."""
    spec = importlib.util.spec_from_file_location("tune_fallback",
                                                  ROOT / "scripts" / "tune_fallback.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_folds_are_stratified_and_disjoint(tuner) -> None:
    examples = [(f"{intent}{i}", intent) for intent in ("a", "b") for i in range(10)]
    parts = tuner.stratified_folds(examples, 5, seed=1)
    assert sorted(item for part in parts for item in part) == sorted(examples)
    assert all(Counter(intent for _, intent in part) == {"a": 2, "b": 2} for part in parts)


def _line(intent: str, predicted: str, top1: float) -> dict:
    """One out-of-fold prediction with a clear second place."""
    return {"intent": intent, "predicted": predicted, "top1": top1, "top2": 0.0}


def test_threshold_choice_balances_catch_and_loss(tuner) -> None:
    predictions = ([_line("refund", "refund", 0.9)] * 97 + [_line("refund", "refund", 0.45)] * 2
                   + [_line("refund", "greet", 0.3)] + [_line("out_of_scope", "greet", 0.4)] * 3
                   + [_line("out_of_scope", "out_of_scope", 0.9)])
    assert tuner.rates(predictions, 0.0, 0.0)["in_scope_accuracy"] == 0.99
    # 0.45 catches every out-of-scope line and loses no correct answer; ties -> no ambiguity.
    threshold, ambiguity, result = tuner.choose(predictions, max_lost=0.06)
    assert (threshold, ambiguity) == (0.45, 0.0)
    assert (result["correct_lost"], result["oos_caught"], result["in_scope_fallback"]) == (0, 1, 0.01)


def test_threshold_choice_respects_budget(tuner) -> None:
    predictions = ([_line("refund", "refund", 0.9)] * 98 + [_line("refund", "refund", 0.45)] * 2
                   + [_line("out_of_scope", "greet", 0.5)] * 3
                   + [_line("out_of_scope", "out_of_scope", 0.9)])
    # Catching the 0.5 lines costs the two correct 0.45 lines: worth it within a 2 % budget ...
    threshold, _, result = tuner.choose(predictions, max_lost=0.02)
    assert threshold == 0.55 and result["correct_lost"] == 0.02 and result["oos_caught"] == 1
    # ... not allowed within 1 %: nothing better than catching none, lowest threshold wins.
    threshold, _, result = tuner.choose(predictions, max_lost=0.01)
    assert result["correct_lost"] == 0 and result["oos_caught"] == 0.25 and threshold == 0.05
