"""The persona conversation set (tests/conversations/*.yml) against the real Rasa + action servers.

Every conversation is one test, held over the REST webhook with a fresh sender id and judged by
tests/conversations/runner.py (the same code as scripts/eval_conversations.py). The floor is
100 %: a conversation that leaves its persona less than fully helped fails, with the turn, the
bot's replies and the failed check in the message. The only exceptions are the open failures listed
with their reason in tests/e2e/conversations_known_failures.yml: they are strict xfails, so one that
starts passing fails the run until it is taken off the list (the list can only shrink honestly).

The action server's clock is frozen per conversation (`clock:`, default 10:00 China time on a
Thursday); conversations are ordered by clock so each clock's stack starts once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import yaml

from tests.conversations.runner import Conversation, StackPool, by_clock, load_all, run_conversation

CONVERSATIONS = by_clock(load_all())
KNOWN_FAILURES = yaml.safe_load(
    Path(__file__).with_name("conversations_known_failures.yml").read_text(encoding="utf-8")
) or {}


def _params():
    for conversation in CONVERSATIONS:
        reason = KNOWN_FAILURES.get(conversation.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(conversation, id=conversation.id, marks=marks)


def test_known_failures_name_real_conversations() -> None:
    assert set(KNOWN_FAILURES) <= {conversation.id for conversation in CONVERSATIONS}


@pytest.fixture(scope="module")
def stacks(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPool]:
    pool = StackPool(tmp_path_factory.mktemp("conversations"), trained_model)
    yield pool
    pool.close()


@pytest.mark.parametrize("conversation", list(_params()))
def test_conversation_leaves_the_persona_fully_helped(stacks: StackPool, conversation: Conversation) -> None:
    stack = stacks.get(conversation.clock)
    result = run_conversation(conversation, stack.say)
    if not result.fully_helped:
        pytest.fail(result.explain(), pytrace=False)
