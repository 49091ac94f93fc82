"""Held-out intent accuracy of a running Rasa server (tests/nlu/heldout.yml, written by the NLU work)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bench.load import parse_latency
from bench.harness import ROOT

HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
# The held-out set's own rule: for out-of-scope lines, out_of_scope and nlu_fallback both count.
OUT_OF_SCOPE_ACCEPTS = {"out_of_scope", "nlu_fallback"}


def load_heldout(path: Path = HELDOUT, limit: Optional[int] = None) -> List[Tuple[str, str]]:
    """(text, intent) pairs of the held-out set, every `len // limit`-th one when `limit` is set."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path), language="zh")
    pairs = [(example.get("text"), example.get("intent")) for example in data.intent_examples]
    if limit and len(pairs) > limit:
        step = len(pairs) / limit
        pairs = [pairs[int(i * step)] for i in range(limit)]
    return pairs


def is_correct(gold: str, predicted: Optional[str]) -> bool:
    if gold == "out_of_scope":
        return predicted in OUT_OF_SCOPE_ACCEPTS
    return predicted == gold


def heldout_accuracy(
    base_url: str, pairs: List[Tuple[str, str]], deadline_s: float, token: Optional[str] = None
) -> Dict[str, Any]:
    """Intent accuracy of the server's /model/parse on the held-out pairs (errors count as wrong)."""
    result = parse_latency(base_url, [text for text, _ in pairs], deadline_s=deadline_s, token=token)
    correct = sum(is_correct(gold, predicted) for (_, gold), predicted in zip(pairs, result.intents))
    answered = len(result.intents)
    return {
        "examples": answered,
        "errors": result.errors,
        "accuracy": round(correct / answered, 4) if answered else None,
    }
