"""The report period: China calendar dates, inclusive at both ends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def china_time(timestamp: float) -> datetime:
    """A Unix timestamp (as Rasa stores it) as an aware datetime in China time."""
    return datetime.fromtimestamp(timestamp, CHINA)


@dataclass(frozen=True)
class Period:
    """From ``since`` 00:00 to the end of ``until`` (both China dates)."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError(f"--until {self.until} is before --since {self.since}")

    @property
    def start(self) -> datetime:
        """First instant of the period (China time)."""
        return datetime.combine(self.since, time.min, CHINA)

    @property
    def end(self) -> datetime:
        """First instant after the period (China time)."""
        return datetime.combine(self.until + timedelta(days=1), time.min, CHINA)

    def contains(self, moment: datetime) -> bool:
        """Whether an aware datetime falls inside the period."""
        return self.start <= moment < self.end

    def contains_timestamp(self, timestamp: float) -> bool:
        """Whether a Unix timestamp falls inside the period."""
        return self.start.timestamp() <= timestamp < self.end.timestamp()

    def days(self) -> List[date]:
        """Every China date of the period, in order."""
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]
