"""The phrase tables of vocabulary.yml, and matching a free text against them."""
from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yml")
# Entity tables: entity → normalized value → phrases (components/entities.py turns them into patterns).
ENTITY_TABLES = ("issue_category", "request_goal", "expected_time", "role", "device")
# How alike a text and a phrase must be (difflib ratio) to offer that phrase's value as the nearest.
NEAREST_MIN_RATIO = 0.5


@lru_cache(maxsize=1)
def vocabulary() -> Dict[str, Any]:
    """The whole vocabulary file (cached)."""
    return yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))


def entity_tables() -> Dict[str, Dict[str, List[str]]]:
    """entity → normalized value → phrases."""
    return {name: vocabulary()[name] for name in ENTITY_TABLES}


def words(name: str) -> List[str]:
    """A word list of the vocabulary (``vague_goals``, ``negations`` …)."""
    return [str(word) for word in vocabulary()[name]]


def phrase_pattern(phrases: List[str]) -> str:
    """An alternation of phrases, longest first, ASCII words not inside longer ASCII words."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        escaped = re.escape(phrase)
        if re.fullmatch(r"[A-Za-z'. \-]+", phrase):
            escaped = rf"(?<![A-Za-z]){escaped}(?![A-Za-z])"
        parts.append(escaped)
    return "|".join(parts)


def find_phrases(table: str, text: str) -> List[Tuple[int, int, str]]:
    """Every phrase of an entity table in ``text`` as (start, end, value), longest match first."""
    lowered = text.lower()
    found: List[Tuple[int, int, str]] = []
    for value, phrases in vocabulary()[table].items():
        for phrase in phrases:
            pattern = phrase_pattern([str(phrase).lower()])
            found += [(m.start(), m.end(), str(value)) for m in re.finditer(pattern, lowered)]
    found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
    kept: List[Tuple[int, int, str]] = []
    for hit in sorted(found, key=lambda h: (h[0] - h[1], h[0])):
        if not any(hit[0] < other[1] and other[0] < hit[1] for other in kept):
            kept.append(hit)
    return sorted(kept)


def nearest(table: str, text: str) -> Optional[str]:
    """The value whose phrase is most like ``text`` (difflib), when alike enough."""
    best: Tuple[float, Optional[str]] = (NEAREST_MIN_RATIO, None)
    lowered = text.lower()
    for value, phrases in vocabulary()[table].items():
        for phrase in [value, *phrases]:
            ratio = difflib.SequenceMatcher(None, lowered, str(phrase).lower()).ratio()
            if ratio > best[0]:
                best = (ratio, str(value))
    return best[1]
