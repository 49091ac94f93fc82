"""Deadlines: durations in one unit convention (whole minutes inside, ISO-8601 ``PT<h>H`` /
``PT<m>M`` outside) and calendar dates (ISO-8601 ``--MM-DD`` / ``---DD`` as said, a full
``YYYY-MM-DD`` once the clock resolves the year and month).

``find_deadlines`` finds the numeric durations of a text that are meant as a deadline (三天内,
希望24小时, within 48 hours) and skips those that describe the problem (物流三周没更新, tracking
hasn't updated in 3 weeks). ``find_dates`` does the same for dates (12月3日前, by Dec 3; not
12月1日下的单). ``read_deadline`` reads a whole answer to the time question.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from parsing.numbers import HALF, english_number_words, read_number
from parsing.text import half_width
from parsing.vocabulary import phrase_pattern, vocabulary

_NUMBER = rf"\d+(?:\.\d+)?|[零一二两三四五六七八九十百{HALF}]+"
_DAY_NUMBER = r"(?<!\d)\d{1,2}(?!\d)|[一二三四五六七八九十]{1,3}"
_PARTIAL_DATE = re.compile(r"^--(\d\d)-(\d\d)$|^---(\d\d)$|^W(\d?)-([1-7])$")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
_CLAUSE_BREAK = re.compile(r"[,.;!?，。；！？\n]")
_FILLER = re.compile(r"[\s,.!?;:，。！？、~…吧啊呀哈嗯吗呢的左右]")


def _words(name: str) -> List[str]:
    return [str(word) for word in vocabulary()["durations"][name]]


@lru_cache(maxsize=1)
def _units() -> Dict[str, int]:
    return {str(unit).lower(): int(minutes) for unit, minutes in vocabulary()["durations"]["units"].items()}


@lru_cache(maxsize=1)
def _months() -> Dict[str, int]:
    return {str(name).lower(): int(month) for name, month in vocabulary()["durations"]["months"].items()}


@lru_cache(maxsize=1)
def _weekdays() -> Dict[str, int]:
    return {str(name).lower(): int(day) for name, day in vocabulary()["durations"]["weekdays"].items()}


@lru_cache(maxsize=1)
def _weeks_ahead() -> Dict[str, int]:
    return {str(word).lower(): int(weeks) for word, weeks in vocabulary()["durations"]["weeks_ahead"].items()}


@lru_cache(maxsize=1)
def _patterns() -> Dict[str, "re.Pattern[str]"]:
    units = phrase_pattern(list(_units()))
    months = phrase_pattern(list(_months()))
    number = rf"{_NUMBER}|(?<![A-Za-z])(?:{phrase_pattern(list(english_number_words()))})(?=\s)"
    return {
        # number, optional 个, optional 半 (一个半小时), unit, optional 半 (一天半), optional 内/之前
        "duration": re.compile(
            rf"(?<![\d.])({number})\s*(?:个\s*)?({HALF})?\s*({units})(?![A-Za-z])({HALF})?\s*({phrase_pattern(_words('deadline_suffixes'))})?",
            re.I,
        ),
        "cue": re.compile(rf"(?:{phrase_pattern(_words('deadline_cues'))})\s*$", re.I),
        "past_before": re.compile(rf"(?:{phrase_pattern(_words('past_before'))})\s*(?:the\s+)?$", re.I),
        "past_after": re.compile(rf"^\s*(?:{phrase_pattern(_words('past_after'))})", re.I),
        "negation": re.compile(phrase_pattern(_words("negations")), re.I),
        # 12月3日 / 十二月三号 / 3号, optional 前/之前; then Dec 3(rd) / 3 December
        "date_zh": re.compile(
            rf"(?:({_DAY_NUMBER})\s*月(?:份)?\s*)?({_DAY_NUMBER})\s*[日号號](?![A-Za-z])\s*({phrase_pattern(_words('date_suffixes'))})?"
        ),
        "date_en": re.compile(
            rf"(?<![A-Za-z])(?:({months})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?({months})\.?)(?![A-Za-z\d])",
            re.I,
        ),
        # (这|下)?周五 / 星期五 / 礼拜五, (next)? Friday, optional 前/之前
        "weekday": re.compile(
            rf"(?<![A-Za-z])(?:({phrase_pattern(list(_weeks_ahead()))})\s*)?({phrase_pattern(list(_weekdays()))})(?![A-Za-z])\s*({phrase_pattern(_words('date_suffixes'))})?",
            re.I,
        ),
        "date_cue": re.compile(rf"(?:{phrase_pattern(_words('date_cues'))})\s*(?:是|在|改成|改为)?\s*$", re.I),
    }


def iso_duration(minutes: float) -> Optional[str]:
    """Minutes → ``PT<h>H`` when whole hours, else ``PT<m>M``; None for no time at all."""
    minutes = int(round(minutes))
    if minutes <= 0:
        return None
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


def iso_minutes(text: str) -> Optional[int]:
    """``PT48H`` / ``P1DT2H`` / ``PT30M`` → minutes; None when it is not such a duration."""
    match = _ISO.match(text.strip().upper())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(group or 0) for group in match.groups())
    return days * 1440 + hours * 60 + minutes


def describe_parts(minutes: int) -> Tuple[str, int]:
    """How to say a duration: ("days", 7) from three whole days up, ("hours", 48), ("minutes", 90)."""
    if minutes % 60:
        return "minutes", minutes
    hours = minutes // 60
    if hours >= 72 and hours % 24 == 0:
        return "days", hours // 24
    return "hours", hours


def find_durations(text: str) -> List[Tuple[int, int, int, bool]]:
    """Every numeric duration of ``text`` as (start, end, minutes, meant_as_deadline).

    A deadline: with a 内/之前 suffix; after a cue such as 希望/要求/within; or when the duration is
    (almost) the whole message. Not one: next to words of the past (已经, 了, 没, ago …) or, for a
    cue-only duration, in a negated sentence (hasn't updated in 3 weeks). Offsets are those of ``text``.
    """
    folded = half_width(text)
    patterns = _patterns()
    units = _units()
    found = []
    for match in patterns["duration"].finditer(folded):
        number = read_number(match.group(1))
        if number is None:
            continue
        if match.group(2) or match.group(4):
            number += 0.5
        before, after = folded[: match.start()], folded[match.end():]
        past = bool(patterns["past_before"].search(before) or patterns["past_after"].search(after))
        whole = len(_FILLER.sub("", before + after)) <= 2
        cue = bool(patterns["cue"].search(before)) and not patterns["negation"].search(_clause_of(folded, match.start(), match.end()))
        minutes = int(round(number * units[match.group(3).lower()]))
        if minutes > 0:
            deadline = bool(match.group(5)) or ((cue or whole) and not past)
            found.append((match.start(), match.end(), minutes, deadline))
    return found


def _clause_of(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: "never arrived, …, within 3 days" negates nothing of the deadline."""
    breaks = [match.end() for match in _CLAUSE_BREAK.finditer(text, 0, start)]
    after = _CLAUSE_BREAK.search(text, end)
    return text[breaks[-1] if breaks else 0 : after.start() if after else len(text)]


def find_deadlines(text: str) -> List[Tuple[int, int, int]]:
    """The durations of ``text`` meant as a deadline (三天内, 希望24小时), as (start, end, minutes)."""
    return [(start, end, minutes) for start, end, minutes, deadline in find_durations(text) if deadline]


def _day(token: str) -> Optional[int]:
    number = read_number(token)
    return int(number) if number is not None and number == int(number) else None


def find_dates(text: str) -> List[Tuple[int, int, str]]:
    """The dates of ``text`` meant as a deadline, as (start, end, value): ``--MM-DD``, ``---DD``, or
    a weekday ``W<weeks ahead>-<1..7>`` (``W-5`` the next Friday, ``W0-5`` this week's, ``W1-1``
    next week's Monday), all resolved on the clock by ``resolve_date``.

    A deadline: with 前/之前/为止 after it, after a cue (希望, 要, by, before …), or when the date
    is (almost) the whole message; 12月1日下的单 is no deadline. Impossible dates (13月, 32号) are none.
    """
    folded = half_width(text)
    patterns = _patterns()
    found = []  # (start, end, value, said with a deadline suffix)
    for match in patterns["date_zh"].finditer(folded):
        month = _day(match.group(1)) if match.group(1) else None
        day = _day(match.group(2))
        if day is not None and 1 <= day <= 31 and (month is None or 1 <= month <= 12):
            value = f"--{month:02d}-{day:02d}" if month else f"---{day:02d}"
            found.append((match.start(), match.end(), value, bool(match.group(3))))
    for match in patterns["date_en"].finditer(folded):
        name = (match.group(1) or match.group(4)).lower().rstrip(".")
        day = _day(match.group(2) or match.group(3))
        if day is not None and 1 <= day <= 31:
            found.append((match.start(), match.end(), f"--{_months()[name]:02d}-{day:02d}", False))
    for match in patterns["weekday"].finditer(folded):
        ahead = _weeks_ahead().get((match.group(1) or "").lower(), "")
        weekday = _weekdays()[match.group(2).lower()]
        found.append((match.start(), match.end(), f"W{ahead}-{weekday}", bool(match.group(3))))
    dates = []
    for start, end, value, suffixed in sorted(found):
        before, after = folded[:start], folded[end:]
        whole = len(_FILLER.sub("", before + after)) <= 1  # "是12月3日吧"; "我周一买的" tells the story
        if suffixed or whole or patterns["date_cue"].search(before) or patterns["cue"].search(before):
            dates.append((start, end, value))
    return dates


def resolve_date(partial: str, now: datetime) -> Optional[date]:
    """``--12-03`` said on ``now`` (China time) → that day this year, or next year when it is more
    than 60 days past (a day of the last 60 days stays: the caller says it has passed); ``---03`` →
    the next 3rd, today included. None for no such date (``--02-30``)."""
    match = _PARTIAL_DATE.match(partial)
    if not match:
        return None
    today = now.date()
    if match.group(5):
        weekday = int(match.group(5))
        if match.group(4) == "":
            return today + timedelta(days=(weekday - today.isoweekday()) % 7)  # the next one, today included
        monday = today - timedelta(days=today.isoweekday() - 1)
        return monday + timedelta(weeks=int(match.group(4)), days=weekday - 1)
    if match.group(1):
        month, day = int(match.group(1)), int(match.group(2))
        for year in (today.year, today.year + 1):
            try:
                said = date(year, month, day)
            except ValueError:
                return None
            if said >= today or (today - said).days <= 60:
                return said
        return None
    day = int(match.group(3))
    for months_ahead in range(3):
        month_index = today.month - 1 + months_ahead
        try:
            said = date(today.year + month_index // 12, month_index % 12 + 1, day)
        except ValueError:
            continue
        if said >= today:
            return said
    return None


def read_date(text: str, now: datetime) -> Optional[date]:
    """The day an answer names (12月3日前, ``--12-03`` as the NLU read it, 今天之内 → today), or None."""
    said = text.strip()
    partial = said if _PARTIAL_DATE.match(said) else next((value for *_, value in find_dates(said)), None)
    if partial:
        return resolve_date(partial, now)
    lowered = half_width(said).lower()
    if any(word in lowered for word in _words("today")) and not find_deadlines(said):
        return now.date()
    return None


def _until_midnight(now: datetime) -> int:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60, int((midnight - now).total_seconds() // 60))


def read_deadline(text: str, now: datetime) -> Optional[int]:
    """An answer to "希望多久内回复" in minutes (0 for 马上), or None when it names no time.

    ``now`` (China time) is what 今天 counts from: until midnight.
    """
    folded = half_width(text).strip()
    lowered = folded.lower()
    iso = iso_minutes(folded)
    if iso is not None:
        return iso
    if any(word in lowered for word in _words("immediate")):
        return 0
    deadlines = find_deadlines(folded)
    if deadlines:
        return deadlines[0][2]
    if any(word in lowered for word in _words("today")):
        return _until_midnight(now)
    tables = {**{phrase: value for value, phrases in vocabulary()["expected_time"].items() for phrase in phrases},
              **vocabulary()["durations"]["answer_words"]}
    for phrase in sorted(tables, key=len, reverse=True):
        if str(phrase).lower() in lowered:
            return iso_minutes(str(tables[phrase]))
    return None
