"""Fixtures for the support-request form: the real domain and trackers built from JSON."""
from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import request_store
from actions.request_form.validation import ValidateSupportRequestForm
from tests.support.servers import ROOT

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """domain.yml as the action server receives it."""
    return Domain.load(ROOT / "domain.yml").as_dict()


def load_tracker_dict(name: str) -> Dict[str, Any]:
    """A tracker state saved as JSON in tests/form/fixtures/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_tracker(
    text: str,
    candidates: Dict[str, Any],
    *,
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    requested_slot: Optional[str] = "issue_category",
    slots: Optional[Dict[str, Any]] = None,
    earlier_events: Optional[List[Dict[str, Any]]] = None,
    fixture: str = "tracker_form_active.json",
) -> Tracker:
    """The tracker the validation action gets: a user message followed by the slot candidates."""
    state = load_tracker_dict(fixture)
    parse_data = {"intent": {"name": intent, "confidence": 0.95}, "entities": entities or [], "text": text}
    state["slots"].update(slots or {})
    state["events"] += [{"event": "slot", "name": k, "value": v} for k, v in (slots or {}).items()]
    state["slots"]["requested_slot"] = requested_slot
    state["slots"].update(candidates)
    state["latest_message"] = parse_data
    state["events"] += copy.deepcopy(earlier_events or [])
    state["events"].append({"event": "user", "text": text, "parse_data": parse_data})
    state["events"] += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
    return Tracker.from_dict(state)


def slot(name: str, value: Any) -> Dict[str, Any]:
    """The event rasa_sdk returns for SlotSet(name, value)."""
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def entity(name: str, value: Any) -> Dict[str, Any]:
    return {"entity": name, "value": value}


@pytest.fixture(scope="session")
def understand():
    """The entities the real NLU entity component (no trained model needed) finds in a text."""
    from rasa.shared.nlu.training_data.message import Message

    from components.entities import SpacyRuleEntityExtractor
    from components.normalizer import ChineseTextNormalizer

    extractor = SpacyRuleEntityExtractor.create({}, None, None, None)  # type: ignore[arg-type]
    normalizer = ChineseTextNormalizer.create({}, None, None, None)  # type: ignore[arg-type]

    def run(text: str) -> Tuple[str, List[Dict[str, Any]]]:
        message = Message(data={"text": text})
        normalizer.process([message])
        extractor.process([message])
        return message.get("text"), [e for e in message.get("entities") or [] if e["entity"] != "emoji"]

    return run


def said(understand, text: str, **kwargs: Any) -> Tracker:
    """A tracker for ``text`` with the entities the NLU finds and the slots Rasa's mappings would
    set: each entity's value (the last one of a kind) and the free text for the asked slot."""
    text, entities = understand(text)
    candidates: Dict[str, Any] = {}
    requested = kwargs.get("requested_slot", "issue_category")
    intent = kwargs.get("intent", "inform")
    if requested and intent not in ("deny", "affirm"):
        candidates[requested] = text
    for found in entities:
        candidates[found["entity"]] = found["value"]
    return make_tracker(text, candidates, entities=entities, **kwargs)


@pytest.fixture
def validate(domain: Dict[str, Any]):
    """Run validate_support_request_form on a tracker; returns (events, messages)."""

    def run(tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ValidateSupportRequestForm().run(dispatcher, tracker, domain))
        return events, dispatcher.messages

    return run


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite request store, selected through REQUEST_STORE_URL."""
    url = f"sqlite:///{tmp_path / 'requests.db'}"
    monkeypatch.setenv("REQUEST_STORE_URL", url)
    monkeypatch.delenv("HANDOFF_WEBHOOK_URL", raising=False)
    yield url
    request_store._stores.pop(url, None)
