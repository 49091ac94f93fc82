"""The real action server + Rasa server, a multi-turn Chinese conversation over the REST webhook.

The action server's clock is frozen at 22:30 China time, so the seller channel is closed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from actions.knowledge import contains_placeholder
from tests.support.servers import Stack, reply_texts, start_stack

OUT_OF_HOURS = "2026-11-26T22:30:00+08:00"
SELLER_URL = "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"
TO_SELLER = '/inform{"role":"seller"}'
TICKET_PATH = "我的 → 售后服务 → 申请售后"


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
    # Digit-aware: the form's example order number 8123456789012345 is not the sample phone.
    assert not contains_placeholder(shown), f"{text!r} → {shown}"
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

    # Answered at once for the likeliest role (buyer), with a one-tap switch.
    question = say(stack, sender, "速卖通怎么联系人工客服")
    assert "「人工客服」" in reply_texts(question) and "联系卖家" in reply_texts(question)
    assert SELLER_URL not in reply_texts(question)
    assert TO_SELLER in payloads(question)

    answer = reply_texts(say(stack, sender, TO_SELLER))
    assert SELLER_URL in answer and "向我提问" in answer
    assert "现在是北京时间22:30，卖家客服已下班，明天 9:00 开始服务" in answer
    assert "service@aliexpress.com" in answer and TICKET_PATH not in answer

    # The role is kept: the hours are the seller desk's, in China time.
    again = reply_texts(say(stack, sender, "客服几点上班"))
    assert "9:00–18:00" in again and "22:30" in again


def test_problem_gets_ticket_path_and_the_form_offer(stack: Stack) -> None:
    replies = say(stack, "e2e-refund", "我要退款")
    text = reply_texts(replies)
    assert TICKET_PATH in text
    assert "超过24小时未更新" in text and "消费者保护中心" in text and "72小时内介入" in text
    assert "/start_support_request" in payloads(replies)


def test_a_typed_yes_to_the_form_offer_starts_the_form(stack: Stack) -> None:
    say(stack, "e2e-form-yes", "我要退款")
    first_question = say(stack, "e2e-form-yes", "好的")
    say(stack, "e2e-form-button", "我要退款")
    button = say(stack, "e2e-form-button", "/start_support_request")
    assert first_question and visible(first_question) == visible(button)


def test_role_from_channel_metadata(stack: Stack) -> None:
    metadata = {"customData": {"role": "seller"}}
    replies = say(stack, "e2e-metadata", "速卖通怎么联系人工客服", metadata)
    assert SELLER_URL in reply_texts(replies)
    assert TO_SELLER not in payloads(replies)


def test_dissatisfaction_gets_the_next_step_not_a_goodbye(stack: Stack) -> None:
    sender = "e2e-not-helpful"
    first = reply_texts(say(stack, sender, "人工客服怎么找"))
    second = reply_texts(say(stack, sender, "没用，这些我早就试过了"))
    assert second and second != first and TICKET_PATH in second
    third = reply_texts(say(stack, sender, "那算了"))
    assert "再见" not in third and "催办" in third
    closing = say(stack, sender, "好的明白了，谢谢")
    assert "/ask_contact_channels" not in payloads(closing)


def test_follow_ups_are_answered_about_the_topic(stack: Stack) -> None:
    sender = "e2e-follow-up"
    say(stack, sender, "客服邮箱是多少")
    how_long = reply_texts(say(stack, sender, "邮件一般多久回"))
    assert "几个小时甚至一天" in how_long
    night = reply_texts(say(stack, sender, "晚上也能找吗"))
    assert "22:30" in night


def test_scam_follow_up(stack: Stack) -> None:
    sender = "e2e-scam"
    say(stack, sender, "有人说有内部通道可以加急退款，靠谱吗")
    text = reply_texts(say(stack, sender, "我已经转了200怎么办"))
    for fact in ("110", "96110", "银行", "紧急"):
        assert fact in text


def test_english_conversation(stack: Stack) -> None:
    sender = "e2e-english"
    text = reply_texts(say(stack, sender, "How can I talk to a human agent?"))
    assert "human" in text.lower() and "Customer Service" in text
    refund = reply_texts(say(stack, sender, "/refund"))
    assert "ticket" in refund


def test_three_unhandled_turns_offer_the_human_channels(stack: Stack) -> None:
    sender = "e2e-strikes"
    say(stack, sender, "今天天气怎么样")
    say(stack, sender, "给我讲个笑话吧")
    third = reply_texts(say(stack, sender, "你喜欢什么电影"))
    assert "看来我没能帮上忙，建议直接联系人工客服" in third
    assert "人工客服" in third


def test_unsure_then_none_of_these_then_three_strikes(stack: Stack) -> None:
    """Unsure → a few topics to pick (or rephrase); 都不是 → rephrase; unsure again → humans."""
    sender = "e2e-unsure"
    first = say(stack, sender, "阿巴阿巴阿巴")
    assert "/out_of_scope" in payloads(first) or "换个说法" in reply_texts(first)
    assert "换个说法" in reply_texts(say(stack, sender, "/out_of_scope"))
    third = reply_texts(say(stack, sender, "咕噜咕噜"))
    assert "看来我没能帮上忙，建议直接联系人工客服" in third


def test_picking_an_offered_topic_answers_it(stack: Stack) -> None:
    question = say(stack, "e2e-clarify", "阿巴阿巴阿巴")
    offered = payloads(question)
    assert offered and offered[-1] == "/out_of_scope" and 3 <= len(offered) <= 4
    clarified = say(stack, "e2e-clarify", offered[0])
    direct = say(stack, "e2e-direct", offered[0])
    assert visible(clarified) == visible(direct)


def test_the_same_message_three_times_gets_the_no_flooding_advice(stack: Stack) -> None:
    sender = "e2e-repeat"
    for _ in range(2):
        assert "同一个问题请不要连续发送" not in reply_texts(say(stack, sender, "在吗"))
    assert "同一个问题请不要连续发送" in reply_texts(say(stack, sender, "在吗"))


def test_emoji_only_is_asked_for_words(stack: Stack) -> None:
    assert "请用文字描述遇到的问题" in reply_texts(say(stack, "e2e-emoji", "😭😭"))
