"""The guide's facts (knowledge/guide.yml) and the assistant's wording (knowledge/replies.yml).

Both files are read once per process and cached; accessors return typed, read-only views.
`mask_placeholders` is the one guard that keeps the guide's sample contact table (placeholder
text, not real contacts) out of every reply.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Pattern, Tuple

import yaml

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
GUIDE_PATH = KNOWLEDGE_DIR / "guide.yml"
REPLIES_PATH = KNOWLEDGE_DIR / "replies.yml"
CUES_PATH = KNOWLEDGE_DIR / "cues.yml"
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class OpeningHours:
    """When a channel is staffed, in China time; weekdays use ISO numbers (1 = Monday)."""

    weekdays: Tuple[int, ...]
    open: time
    close: time
    label: str


@dataclass(frozen=True)
class Channel:
    """One documented way to reach customer service."""

    id: str
    section: str
    facts: Mapping[str, Any]
    hours: Optional[OpeningHours] = None

    def __getitem__(self, key: str) -> Any:
        return self.facts[key]

    @property
    def path(self) -> List[str]:
        """Menu path (e.g. 我的 → 我的订单 → 联系客服), empty when the channel has none."""
        return list(self.facts.get("path", []))


@dataclass(frozen=True)
class ResponsibleMethod:
    """One of the guide's ways to find a store's 关联负责人."""

    id: str
    title: str
    how: str
    audience: Tuple[str, ...]


def _load_yaml(path: Path) -> Dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping")
    return data


def _parse_time(value: str) -> time:
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=1)
def guide() -> Dict[str, Any]:
    """The whole guide file (cached)."""
    return _load_yaml(GUIDE_PATH)


@lru_cache(maxsize=1)
def replies() -> Dict[str, Any]:
    """The whole wording file (cached)."""
    return _load_yaml(REPLIES_PATH)


@lru_cache(maxsize=1)
def cues() -> Dict[str, Any]:
    """The word lists that refine what a message means (cached)."""
    return _load_yaml(CUES_PATH)


def read_all() -> None:
    """Reads and caches every file now (the action server does this while it starts)."""
    guide()
    replies()
    cues()
    _placeholder_pattern()


def clear_cache() -> None:
    """Forget the cached files (tests that edit a copy of the data call this)."""
    guide.cache_clear()
    replies.cache_clear()
    cues.cache_clear()
    _placeholder_pattern.cache_clear()


def channel(channel_id: str) -> Channel:
    """A channel of section 02 by id (alixiaomi_app, seller_channel, email …)."""
    facts = guide()["channels"][channel_id]
    hours = None
    if "hours" in facts:
        raw = facts["hours"]
        hours = OpeningHours(
            weekdays=tuple(int(day) for day in raw["weekdays"]),
            open=_parse_time(raw["open"]),
            close=_parse_time(raw["close"]),
            label=str(raw["label"]),
        )
    return Channel(id=channel_id, section=str(facts["section"]), facts=facts, hours=hours)


def responsible_methods() -> List[ResponsibleMethod]:
    """The four ways to find a 关联负责人, in the guide's order."""
    return [
        ResponsibleMethod(
            id=item["id"], title=item["title"], how=item["how"], audience=tuple(item["audience"])
        )
        for item in guide()["responsible_person"]["methods"]
    ]


def tip(name: str) -> Mapping[str, Any]:
    """An entry of section 03 (describe_precisely, prepare_information, timing, transfer_to_human)."""
    return guide()["tips"][name]


def scenario(name: str) -> Mapping[str, Any]:
    """An entry of section 04 (urgent_tag, account_security, ticket, consumer_protection …)."""
    return guide()["special_scenarios"][name]


def caution(name: str) -> Mapping[str, Any]:
    """An entry of section 05 (privacy, official_agents, no_repeats …)."""
    return guide()["cautions"][name]


def reply(key: str, lang: str = "zh") -> Any:
    """A wording entry of knowledge/replies.yml in `lang`; English falls back to Chinese.

    Nested mappings fall back key by key, so an English entry may translate only some lines.
    """
    chinese = replies()[key]
    if lang == "zh":
        return chinese
    translated = (replies().get(lang) or {}).get(key)
    if translated is None:
        return chinese
    if isinstance(chinese, dict) and isinstance(translated, dict):
        return {**chinese, **translated}
    return translated


def ticket_path() -> str:
    """The 工单 menu path, e.g. 我的 → 售后服务 → 申请售后."""
    return str(reply("ticket_path_sep")).join(scenario("ticket")["path"])


def placeholders() -> List[str]:
    """The guide's sample contacts that must never be shown as real ones."""
    return [str(item) for item in guide()["placeholders"]]


@lru_cache(maxsize=1)
def _placeholder_pattern() -> Pattern[str]:
    # Longest first, and not inside a longer number, so an order number that merely contains
    # the digits 123456789 is not touched (while "QQ123456789" is).
    alternatives = sorted((re.escape(item) for item in placeholders()), key=len, reverse=True)
    return re.compile(r"(?<![0-9])(?:" + "|".join(alternatives) + r")(?![0-9])")


def contains_placeholder(text: str) -> bool:
    """True when `text` shows one of the guide's placeholder contacts."""
    return bool(_placeholder_pattern().search(text))


def mask_placeholders(text: str) -> str:
    """`text` with every placeholder contact replaced by a notice that it is only a sample."""
    if not contains_placeholder(text):
        return text
    logger.error("A reply contained a placeholder contact from the guide; it was masked.")
    return _placeholder_pattern().sub(str(reply("placeholder_mask")), text)
