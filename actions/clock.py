"""The one clock of the assistant and the one place that knows working hours (China time).

`now_in_china()` honours ``ASSISTANT_FROZEN_TIME`` (ISO-8601, read at every call) so tests can
freeze it; tests may also monkeypatch this function. Opening hours themselves are data
(knowledge/guide.yml); `is_open` and `next_opening` only interpret them.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from actions.knowledge import Channel, OpeningHours

CHINA = ZoneInfo("Asia/Shanghai")
FROZEN_TIME_ENV = "ASSISTANT_FROZEN_TIME"


def now_in_china() -> datetime:
    """The current time as an aware datetime in Asia/Shanghai (or the frozen time)."""
    frozen = os.environ.get(FROZEN_TIME_ENV, "").strip()
    if frozen:
        moment = datetime.fromisoformat(frozen)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA)
        return moment.astimezone(CHINA)
    return datetime.now(CHINA)


def hours_of(channel: Channel) -> OpeningHours:
    if channel.hours is None:
        raise ValueError(f"channel {channel.id} has no opening hours in the guide")
    return channel.hours


def is_open(channel: Channel, now: Optional[datetime] = None) -> bool:
    """Whether `channel` is staffed at `now` (default: the current China time)."""
    hours = hours_of(channel)
    moment = (now or now_in_china()).astimezone(CHINA)
    return moment.isoweekday() in hours.weekdays and hours.open <= moment.time() < hours.close


def next_opening(channel: Channel, now: Optional[datetime] = None) -> datetime:
    """The next moment at or after `now` when `channel` opens (now itself when it is open)."""
    hours = hours_of(channel)
    moment = (now or now_in_china()).astimezone(CHINA)
    if is_open(channel, moment):
        return moment
    for days_ahead in range(8):
        day = (moment + timedelta(days=days_ahead)).date()
        opening = datetime.combine(day, hours.open, tzinfo=CHINA)
        if opening >= moment and opening.isoweekday() in hours.weekdays:
            return opening
    raise ValueError(f"channel {channel.id} never opens")
