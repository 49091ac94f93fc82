"""Every action the domain names exists, every intent has a rule or story, no reply leaks a placeholder."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Set

import pytest
import yaml
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import fallback, guidance, hygiene
from actions.knowledge import reply
from tests.actions.conftest import IN_HOURS, OUT_OF_HOURS, assert_no_placeholder, make_tracker
from tests.support.servers import ROOT

CORE_ACTIONS = [
    cls()
    for module in (guidance, fallback, hygiene)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Action) and cls.__module__ == module.__name__
    and not getattr(cls, "__abstractmethods__", None)
]


def dialogue_intents() -> Set[str]:
    """Intents used in data/rules and data/stories."""
    used: Set[str] = set()
    for path in itertools.chain((ROOT / "data" / "rules").glob("*.yml"), (ROOT / "data" / "stories").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("rules", []) + data.get("stories", []):
            used |= {step["intent"] for step in block.get("steps", []) if "intent" in step}
    return used


def test_every_domain_action_is_served_by_the_action_server(domain: Dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    missing = set(domain["actions"]) - set(executor.actions)
    assert not missing


def test_every_core_action_is_in_the_domain(domain: Dict[str, Any]) -> None:
    assert {action.name() for action in CORE_ACTIONS} <= set(domain["actions"])


def test_every_intent_has_a_rule_or_story(domain: Dict[str, Any]) -> None:
    assert set(domain["intents"]) - dialogue_intents() == set()


def test_every_intent_is_in_an_end_to_end_test_story(domain: Dict[str, Any]) -> None:
    tested: Set[str] = set()
    for path in (ROOT / "tests" / "stories").glob("test_*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in data.get("stories", []):
            tested |= {step["intent"] for step in story.get("steps", []) if "intent" in step}
    assert set(domain["intents"]) - tested == set()


def test_every_intent_has_a_label_for_the_fallback_question(domain: Dict[str, Any]) -> None:
    assert set(domain["intents"]) <= set(reply("intent_labels"))


@pytest.mark.parametrize("when", [IN_HOURS, OUT_OF_HOURS])
@pytest.mark.parametrize(
    "fixture", ["buyer_app", "seller_web", "unknown_role", "role_question_answered", "two_stage_fallback", "form_active"]
)
def test_no_action_ever_shows_a_placeholder_contact(
    domain: Dict[str, Any], freeze: Callable[[str], None], fixture: str, when: str
) -> None:
    freeze(when)
    for action, intent in itertools.product(CORE_ACTIONS, domain["intents"]):
        dispatcher = CollectingDispatcher()
        action.run(dispatcher, make_tracker(fixture, intent), domain)
        assert_no_placeholder(dispatcher.messages)
