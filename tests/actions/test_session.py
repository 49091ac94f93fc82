"""action_session_start: Rasa's session start, with role/device/language from channel metadata."""
from __future__ import annotations

from typing import Any, Callable, Dict, List

import pytest

from actions.session import ActionSessionStart
from tests.actions.conftest import make_tracker, slot

Run = Callable[..., Any]


def slots_set(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def start(run: Run, fixture: str, metadata: Any) -> List[Dict[str, Any]]:
    tracker = make_tracker(fixture, slots={"session_started_metadata": metadata})
    events, bubbles = run(ActionSessionStart(), tracker)
    assert bubbles == []
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    return events


@pytest.mark.parametrize(
    "metadata",
    [
        {"customData": {"role": "seller", "device": "app", "language": "en"}},  # REST / guarded REST
        {"role": "seller", "device": "app", "language": "en"},  # socket.io passes customData itself
    ],
)
def test_role_device_and_language_come_from_the_metadata(run: Run, metadata: Dict[str, Any]) -> None:
    events = start(run, "unknown_role", metadata)
    assert {"role": "seller", "device": "app", "language": "en"}.items() <= slots_set(events).items()


def test_carried_over_slots_are_kept_and_win_over_the_metadata(run: Run) -> None:
    events = start(run, "buyer_app", {"customData": {"role": "seller", "device": "web", "language": "zh"}})
    assert slot("role", "buyer") in events and slot("device", "app") in events
    assert slot("role", "seller") not in events and slot("device", "web") not in events
    assert slot("language", "zh") in events


@pytest.mark.parametrize("metadata", [None, "seller", {"customData": {"role": "admin", "device": 3, "language": "fr"}}])
def test_missing_or_invalid_metadata_sets_nothing(run: Run, metadata: Any) -> None:
    events = start(run, "unknown_role", metadata)
    assert not {"role", "device", "language"} & set(slots_set(events))


def test_no_carry_over_when_the_domain_says_so(domain: Dict[str, Any], run: Run) -> None:
    domain["session_config"]["carry_over_slots_to_new_session"] = False
    try:
        events = start(run, "buyer_app", {"customData": {"device": "web"}})
    finally:
        domain["session_config"]["carry_over_slots_to_new_session"] = True
    assert slots_set(events) == {"device": "web"}
