"""The held-out and hard sets are never trained on, and the held-out set covers every intent."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.nlu.heldout import (
    HARD,
    OUT_OF_SCOPE,
    labelled,
    load_heldout,
    load_training,
    overlap,
)

INTENTS_MD = Path("/work/shared/intents.md")


def contract_intents() -> set:
    """Intent names of the intent contract (docs/CONTRACT.md points to it)."""
    names = re.findall(r"^\| (\w+) \|", INTENTS_MD.read_text(encoding="utf-8"), re.M)
    return set(names) - {"intent"}


def test_no_heldout_line_is_in_the_training_data() -> None:
    leaked = overlap(load_heldout(), load_training())
    assert not leaked, f"held-out lines found in data/nlu: {leaked}"


def test_no_hard_line_is_in_the_training_data() -> None:
    leaked = overlap(load_heldout(HARD), load_training())
    assert not leaked, f"hard lines found in data/nlu: {leaked}"


def test_hard_set_has_only_contract_intents() -> None:
    counts = Counter(intent for _, intent in labelled(load_heldout(HARD)))
    if INTENTS_MD.exists():
        assert set(counts) <= contract_intents()
    assert sum(counts.values()) >= 80


def test_overlap_check_sees_normalized_duplicates() -> None:
    """A traditional/full-width/emoji variant of a held-out line still counts as a leak."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    heldout = TrainingData([Message(data={"text": "我要退款 👍", "intent": "refund"})])
    training = TrainingData([Message(data={"text": "我要退款", "intent": "refund"})])
    assert overlap(heldout, training) == {"我要退款 👍": "我要退款"}
    training = TrainingData([Message(data={"text": "我要退款嗎", "intent": "refund"})])
    assert overlap(heldout, training) == {}


def test_heldout_covers_every_intent_with_enough_lines() -> None:
    counts = Counter(intent for _, intent in labelled(load_heldout()))
    if INTENTS_MD.exists():
        assert set(counts) == contract_intents()
    assert counts[OUT_OF_SCOPE] >= 60
    assert all(n >= 15 for n in counts.values()), counts
