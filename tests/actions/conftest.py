"""Fixtures for the core actions: trackers from JSON files, a frozen China clock, a runner."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import clock
from actions.knowledge import placeholders
from tests.support.servers import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
IN_HOURS = "2026-11-26T10:00:00+08:00"  # a Thursday morning in China
OUT_OF_HOURS = "2026-11-26T22:30:00+08:00"  # the same evening, after 18:00
BEFORE_OPENING = "2026-11-26T07:30:00+08:00"  # the same day, before 9:00

Bubble = Tuple[str, List[Tuple[str, str]]]


def load_state(name: str) -> Dict[str, Any]:
    """A tracker state saved as JSON in tests/actions/fixtures/."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def make_tracker(
    fixture: str,
    intent: Optional[str] = None,
    *,
    text: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """The fixture's conversation, plus (when `intent` is given) a new user message."""
    state = copy.deepcopy(load_state(fixture))
    state["slots"].update(slots or {})
    if intent is not None:
        parse_data = {
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities or [],
            "text": text if text is not None else f"/{intent}",
            "metadata": metadata or {},
        }
        state["latest_message"] = parse_data
        state["events"].append(
            {"event": "user", "text": parse_data["text"], "parse_data": parse_data, "metadata": metadata or {}}
        )
        state["latest_action_name"] = "action_listen"
    return Tracker.from_dict(state)


def slot(name: str, value: Any) -> Dict[str, Any]:
    """The event rasa_sdk returns for SlotSet(name, value)."""
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def bubbles(messages: List[Dict[str, Any]]) -> List[Bubble]:
    """What the user sees: each bubble's text and its buttons as (title, payload)."""
    return [
        (message["text"], [(button["title"], button["payload"]) for button in message.get("buttons", [])])
        for message in messages
    ]


def assert_no_placeholder(messages: List[Dict[str, Any]]) -> None:
    """No reply shows the guide's sample contact table (1234567890, abc@163.com, …)."""
    shown = json.dumps(messages, ensure_ascii=False)
    for item in placeholders():
        assert item not in shown, f"placeholder contact {item!r} shown: {shown}"


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """domain.yml as the action server receives it."""
    return Domain.load(ROOT / "domain.yml").as_dict()


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Freeze the China clock through ASSISTANT_FROZEN_TIME (as the servers would see it)."""

    def set_time(iso: str) -> None:
        monkeypatch.setenv(clock.FROZEN_TIME_ENV, iso)

    set_time(IN_HOURS)
    return set_time


@pytest.fixture
def run(domain: Dict[str, Any], freeze: Callable[[str], None]) -> Callable[..., Tuple[List[Dict[str, Any]], List[Bubble]]]:
    """Run an action on a tracker; returns (events, bubbles) and checks for placeholder contacts."""

    def run_action(action: Action, tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[Bubble]]:
        dispatcher = CollectingDispatcher()
        events = action.run(dispatcher, tracker, domain)
        assert isinstance(events, list)
        assert_no_placeholder(dispatcher.messages)
        return events, bubbles(dispatcher.messages)

    return run_action
