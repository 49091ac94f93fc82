"""A message made only of repeated nudges is slow_response; one nudge, or a nudge with a request, is not
touched (the classifier's reading stands)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.nudges import RepeatedNudgeIntent, is_repeated_nudge


@pytest.mark.parametrize("text", ["在吗在吗", "人呢?人呢?", "有人吗 有人吗 有人吗", "亲,在吗在吗~",
                                  "客服在不在在不在", "还在吗?还在吗", "您好!您好!您好!", "hi hi hi"])
def test_repeated_nudges(text: str) -> None:
    assert is_repeated_nudge(text)


@pytest.mark.parametrize("text", ["在吗", "你好在吗", "在吗在吗我要退款", "人工客服在吗", "有人吗?",
                                  "在吗 快递到哪了 在吗", "", "你好你好", "您好您好您好 我要退款"])
def test_not_repeated_nudges(text: str) -> None:
    assert not is_repeated_nudge(text)


def test_only_repeated_nudges_are_overridden() -> None:
    greet = {"name": "greet", "confidence": 0.8}
    nudge = Message({TEXT: "在吗在吗", INTENT: greet, INTENT_RANKING_KEY: [greet]})
    single = Message({TEXT: "在吗", INTENT: greet, INTENT_RANKING_KEY: [greet]})
    RepeatedNudgeIntent().process([nudge, single])
    assert nudge.get(INTENT)["name"] == "slow_response"
    assert nudge.get(INTENT_RANKING_KEY)[0]["name"] == "slow_response"
    assert single.get(INTENT) == greet
