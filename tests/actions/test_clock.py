"""actions.clock: the frozen/injectable China clock and the seller channel's opening hours."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from actions import clock, knowledge
from tests.actions.conftest import IN_HOURS, OUT_OF_HOURS

CHINA = clock.CHINA


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(CHINA)


def test_frozen_time_is_read_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.FROZEN_TIME_ENV, IN_HOURS)
    assert clock.now_in_china() == at(IN_HOURS)
    monkeypatch.setenv(clock.FROZEN_TIME_ENV, OUT_OF_HOURS)
    assert clock.now_in_china().strftime("%H:%M") == "22:30"


def test_frozen_time_in_another_zone_is_converted_to_china(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.FROZEN_TIME_ENV, "2026-11-26T02:00:00+00:00")
    now = clock.now_in_china()
    assert (now.hour, str(now.tzinfo)) == (10, "Asia/Shanghai")


def test_without_frozen_time_the_clock_is_live_china_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.FROZEN_TIME_ENV, raising=False)
    now = clock.now_in_china()
    assert now.utcoffset().total_seconds() == 8 * 3600
    assert abs((now - datetime.now(CHINA)).total_seconds()) < 5


@pytest.mark.parametrize(
    "iso, expected",
    [
        ("2026-11-26T08:59:00+08:00", False),
        ("2026-11-26T09:00:00+08:00", True),
        ("2026-11-26T17:59:00+08:00", True),
        ("2026-11-26T18:00:00+08:00", False),
        ("2026-11-29T12:00:00+08:00", True),  # Sunday: the guide says Monday to Sunday
        ("2026-11-26T03:00:00+00:00", True),  # 11:00 in China
    ],
)
def test_seller_channel_is_open_nine_to_six_every_day(iso: str, expected: bool) -> None:
    assert clock.is_open(knowledge.channel("seller_channel"), at(iso)) is expected


@pytest.mark.parametrize(
    "iso, opening",
    [
        (OUT_OF_HOURS, "2026-11-27T09:00:00+08:00"),
        ("2026-11-26T07:30:00+08:00", "2026-11-26T09:00:00+08:00"),
        (IN_HOURS, IN_HOURS),
    ],
)
def test_next_opening(iso: str, opening: str) -> None:
    assert clock.next_opening(knowledge.channel("seller_channel"), at(iso)) == at(opening)


def test_a_channel_without_hours_is_an_error() -> None:
    with pytest.raises(ValueError):
        clock.is_open(knowledge.channel("email"), at(IN_HOURS))


def test_changing_the_hours_is_a_data_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Monday–Friday 10:00–17:00 in the YAML changes every answer without touching code."""
    data = yaml.safe_load(knowledge.GUIDE_PATH.read_text(encoding="utf-8"))
    data["channels"]["seller_channel"]["hours"] = {
        "weekdays": [1, 2, 3, 4, 5],
        "open": "10:00",
        "close": "17:00",
        "label": "周一至周五 10:00–17:00",
    }
    edited = tmp_path / "guide.yml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(knowledge, "GUIDE_PATH", edited)
    knowledge.clear_cache()
    try:
        seller = knowledge.channel("seller_channel")
        assert not clock.is_open(seller, at("2026-11-26T09:30:00+08:00"))
        saturday = at("2026-11-28T12:00:00+08:00")
        assert not clock.is_open(seller, saturday)
        assert clock.next_opening(seller, saturday) == at("2026-11-30T10:00:00+08:00")
    finally:
        monkeypatch.undo()
        knowledge.clear_cache()
