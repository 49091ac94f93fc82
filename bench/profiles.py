"""How much work one benchmark run does: the full run and the --tiny run used by the tests."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple


@dataclass(frozen=True)
class Profile:
    """Bounds of one run: message counts, concurrency levels, deadlines and training epochs."""

    name: str
    parse_messages: int
    levels: Tuple[int, ...]
    conversations: Dict[int, int]  # concurrency -> scripted conversations to run at that level
    level_deadline_s: float
    epochs: Optional[int]  # None: the configs' own epochs; else every epoch-trained component
    baseline_diet_epochs: Optional[int]  # cap for the minimal pipeline's DIET (None: its default)
    heldout_limit: Optional[int]  # None: the whole held-out set
    knob_levels: Tuple[int, ...]
    knobs: Tuple[str, ...]  # which speed knobs run (bench/knobs.py); the others are reported as skipped
    train_timeout_s: float
    request_timeout_s: float
    workers: Optional[int]  # RASA_WORKERS of the product (None: scripts/run.sh's default)


FULL = Profile(
    name="full",
    parse_messages=100,
    levels=(1, 16, 64),
    conversations={1: 4, 16: 16, 64: 64},
    level_deadline_s=60,
    epochs=None,
    # A DIET epoch of the stock baseline took ~48 s on 2 cores with load average 7, the largest part
    # of a run at 20 epochs; 10 halve it (its NLU time is projected to 300 epochs either way).
    baseline_diet_epochs=10,
    heldout_limit=300,
    knob_levels=(16,),
    # tracker_wal and ted_policy (changes already in the product, measured in earlier runs) cost
    # TED's training and four more server starts: `--all-knobs` measures them again. diet_epochs
    # is the knob of an NLU pipeline with DIET (config.yml has none now).
    knobs=("action_validation", "rasa_workers", "knowledge_cache"),
    train_timeout_s=900,
    request_timeout_s=60,
    workers=None,
)

TINY = Profile(
    name="tiny",
    parse_messages=8,
    levels=(1, 2),
    conversations={1: 1, 2: 2},
    level_deadline_s=60,
    epochs=2,
    baseline_diet_epochs=None,
    heldout_limit=12,
    knob_levels=(2,),
    knobs=("action_validation", "knowledge_cache"),
    train_timeout_s=600,
    request_timeout_s=60,
    workers=1,
)

ALL_KNOBS = replace(
    FULL, name="full, all knobs",
    knobs=("action_validation", "tracker_wal", "ted_policy", "rasa_workers", "knowledge_cache"),
)

PROFILES = {profile.name: profile for profile in (FULL, TINY, ALL_KNOBS)}
