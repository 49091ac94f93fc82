"""Every action the domain names exists, every intent has a rule or story, no reply leaks a
placeholder or is longer than a phone screen, and no Python module holds user-facing Chinese."""
from __future__ import annotations

import ast
import itertools
import re
from typing import Any, Callable, Dict, Set

import pytest
import yaml
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import conversation, fallback, hygiene
from actions.guidance import MAX_BUBBLE
from actions.knowledge import reply
from tests.actions.conftest import IN_HOURS, OUT_OF_HOURS, assert_no_placeholder, make_tracker
from tests.support.servers import ROOT

CORE_ACTIONS = [
    cls()
    for module in (conversation, fallback, hygiene)
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


def test_every_intent_has_a_label_for_the_clarify_buttons(domain: Dict[str, Any]) -> None:
    assert set(domain["intents"]) <= set(reply("intent_labels"))


CONTEXTS = [
    {},
    {"last_topic": "refund", "channels_given": ["ticket", "chase", "consumer_protection"]},
    {"last_topic": "scam_check", "language": "en"},
    {"last_topic": "email_support", "awaiting": "form", "role_assumed": True},
]


@pytest.mark.parametrize("when", [IN_HOURS, OUT_OF_HOURS])
@pytest.mark.parametrize("fixture", ["buyer_app", "seller_web", "unknown_role", "after_channels", "unsure", "form_active"])
def test_no_action_ever_shows_a_placeholder_contact_or_an_overlong_bubble(
    domain: Dict[str, Any], freeze: Callable[[str], None], fixture: str, when: str
) -> None:
    freeze(when)
    texts = ["", "晚上呢 要多久 在哪 有电话吗", "I want a refund, how long and where?"]
    for action, intent, slots, text in itertools.product(CORE_ACTIONS, domain["intents"], CONTEXTS, texts):
        dispatcher = CollectingDispatcher()
        action.run(dispatcher, make_tracker(fixture, intent, text=text or None, slots=slots), domain)
        assert_no_placeholder(dispatcher.messages)
        for message in dispatcher.messages:
            assert len(message["text"]) <= MAX_BUBBLE, message["text"]


_CJK = re.compile(r"[\u4e00-\u9fff]")
# Slot values the request form stores and matches on (a record's order_id 无 / 待补充, the skip
# buttons' entity value): data of the request record, not wording.
STORED_VALUES = {"无", "待补充", "跳过"}


@pytest.mark.parametrize("path", sorted((ROOT / "actions").rglob("*.py")) + sorted((ROOT / "policies").glob("*.py")))
def test_no_user_facing_chinese_in_python(path: Any) -> None:
    """Wording lives in knowledge/replies.yml: string literals (docstrings aside) hold no Chinese."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]
    assert not [text for text in literals if _CJK.search(text) and text not in STORED_VALUES]
