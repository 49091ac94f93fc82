"""The real action server + Rasa server, a multi-turn Chinese conversation over the REST webhook.

The action server's clock is frozen at 22:30 China time, so the seller channel is closed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from actions.knowledge import placeholders
from tests.support.servers import Stack, reply_texts, start_stack

OUT_OF_HOURS = "2026-11-26T22:30:00+08:00"
SELLER_URL = "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(
        tmp_path_factory.mktemp("core-e2e"), env={"ASSISTANT_FROZEN_TIME": OUT_OF_HOURS}, model=trained_model
    )
    yield running
    running.stop()


def say(stack: Stack, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
    """One user message; the replies must never show a placeholder contact of the guide."""
    replies = stack.say(sender, text, metadata)
    shown = json.dumps(replies, ensure_ascii=False)
    for item in placeholders():
        assert item not in shown, f"{text!r} → {shown}"
    return replies


def visible(replies: List[Dict[str, Any]]) -> List[Any]:
    """What the user sees (text and buttons), without the recipient id."""
    return [(reply.get("text"), reply.get("buttons")) for reply in replies]


def payloads(replies: List[Dict[str, Any]]) -> List[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons", [])]


def test_seller_out_of_hours_conversation(stack: Stack) -> None:
    sender = "e2e-seller"
    greeting = say(stack, sender, "你好")
    assert "速卖通客服助手" in reply_texts(greeting)
    assert "/ask_contact_channels" in payloads(greeting)

    question = say(stack, sender, "速卖通怎么联系人工客服")
    assert "您是买家还是卖家" in reply_texts(question)
    assert payloads(question) == ['/inform{"role":"buyer"}', '/inform{"role":"seller"}']

    answer = reply_texts(say(stack, sender, '/inform{"role":"seller"}'))
    assert SELLER_URL in answer and "向我提问" in answer
    assert "现在是北京时间22:30，卖家客服已下班，明天 9:00 开始服务" in answer
    assert "service@aliexpress.com" in answer and "我的 → 售后服务 → 申请售后" in answer

    # The role is kept: asking again does not ask who the user is.
    again = say(stack, sender, "客服几点上班")
    assert "您是买家还是卖家" not in reply_texts(again)
    assert "每周一至周日 9:00–18:00" in reply_texts(again)


def test_problem_gets_ticket_path_and_the_form_offer(stack: Stack) -> None:
    replies = say(stack, "e2e-refund", "我要退款")
    text = reply_texts(replies)
    assert "我的 → 售后服务 → 申请售后" in text
    assert "超过24小时未更新" in text and "消费者保护中心" in text and "72小时内介入" in text
    assert "/start_support_request" in payloads(replies)


def test_role_from_channel_metadata(stack: Stack) -> None:
    metadata = {"customData": {"role": "seller"}}
    replies = say(stack, "e2e-metadata", "速卖通怎么联系人工客服", metadata)
    text = reply_texts(replies)
    assert "您是买家还是卖家" not in text
    assert SELLER_URL in text


def test_three_unhandled_turns_offer_the_human_channels(stack: Stack) -> None:
    sender = "e2e-strikes"
    say(stack, sender, "今天天气怎么样")
    say(stack, sender, "给我讲个笑话吧")
    third = reply_texts(say(stack, sender, "你喜欢什么电影"))
    assert "看来我没能帮上忙，建议直接联系人工客服" in third
    assert "人工客服" in third


def test_two_stage_fallback_then_three_strikes(stack: Stack) -> None:
    """Unsure → "您是想问…？" (or rephrase); 都不是 → rephrase; unsure again → the human channels."""
    sender = "e2e-two-stage"
    first = say(stack, sender, "阿巴阿巴阿巴")
    assert "您是想问" in reply_texts(first) or "换个说法" in reply_texts(first)
    assert "换个说法" in reply_texts(say(stack, sender, "/out_of_scope"))
    third = reply_texts(say(stack, sender, "咕噜咕噜"))
    assert "看来我没能帮上忙，建议直接联系人工客服" in third


def test_confirming_the_suggested_intent_answers_it(stack: Stack) -> None:
    question = say(stack, "e2e-clarify", "阿巴阿巴阿巴")
    assert "您是想问" in reply_texts(question)
    confirm, reject = payloads(question)
    assert reject == "/out_of_scope"
    clarified = say(stack, "e2e-clarify", confirm)
    direct = say(stack, "e2e-direct", confirm)
    assert visible(clarified) == visible(direct)
    assert "您是想问" not in reply_texts(clarified) and "换个说法" not in reply_texts(clarified)


def test_the_same_message_three_times_gets_the_no_flooding_advice(stack: Stack) -> None:
    sender = "e2e-repeat"
    for _ in range(2):
        assert "同一个问题请不要连续发送" not in reply_texts(say(stack, sender, "在吗"))
    assert "同一个问题请不要连续发送" in reply_texts(say(stack, sender, "在吗"))


def test_emoji_only_is_asked_for_words(stack: Stack) -> None:
    assert "请用文字描述遇到的问题" in reply_texts(say(stack, "e2e-emoji", "😭😭"))
