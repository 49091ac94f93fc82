"""Real conversations with the support request form over REST (Rasa server + action server).

The main one answers the first question with order, category and goal at once, survives a
question in the middle and an unrealistic time, is confirmed, and ends with the request in the
SQLite database the action server was pointed at via REQUEST_STORE_URL. Set
FORM_TRANSCRIPT=<path> to write it as Markdown (docs/sample_form_conversation.md comes from such
a run). The second one starts the form pre-filled from the issue's example sentence.
"""
from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from tests.support.servers import Stack, start_stack

FROZEN = "2026-11-26T10:00:00+08:00"
SENDER = "form-e2e-buyer"


@pytest.fixture(scope="module")
def form_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real servers with a frozen China clock and their own request database."""
    running = start_stack(tmp_path_factory.mktemp("form-stack"), env={"ASSISTANT_FROZEN_TIME": FROZEN}, model=trained_model)
    yield running
    running.stop()


def _bubble(reply: Dict[str, Any]) -> str:
    text = reply.get("text", "")
    buttons = reply.get("buttons") or []
    if buttons:
        text += "\n" + " ".join(f"[{b['title']}]" for b in buttons)
    return text


def test_form_conversation_ends_with_the_saved_request(form_stack: Stack):
    transcript: List[Tuple[str, List[str]]] = []

    def say(text: str, button: str = "", **kwargs: Any) -> str:
        replies = form_stack.say(SENDER, text, **kwargs)
        transcript.append((f"（点按钮「{button}」）" if button else text, [_bubble(r) for r in replies]))
        return "\n".join(r.get("text", "") for r in replies)

    start = say("帮我整理要发给客服的问题", metadata={"customData": {"role": "buyer"}})
    assert "先选问题类别" in start, start

    # Order, category and goal in one answer: all are kept, only the time is asked next.
    first = say("我的订单8123456789012345一直没收到货，想退款")
    assert "希望多久内得到回复" in first, first
    assert "请发订单号" not in first and "希望客服怎么处理" not in first, first

    # A question in the middle is answered and the same slot is asked again.
    digression = say("客服几点上班？")
    assert "9:00" in digression, digression
    assert digression.rstrip().endswith("希望多久内得到回复？也可以直接写，如「3天内」。"), digression

    # Within five minutes is unrealistic: the guide's expectation, then the same question.
    hurry = say("5分钟内回复")
    assert "回复可能要几个小时甚至一天" in hurry and "希望多久内得到回复" in hurry, hurry

    summary = say("48小时内")
    assert "订单#8123456789012345，物流问题，要求退款，希望48小时内回复。" in summary, summary

    done = say("/affirm", button="确认提交")
    match = re.search(r"编号 (SR\d{8}-[0-9A-F]{6})", done)
    assert match, done
    assert "现在北京时间10:00。发给阿里小蜜" in done
    assert "请一并附上：物流单号、物流轨迹截图、订单详情页截图。" in done
    assert "催办" in done and "消费者保护中心" in done

    database = form_stack.tracker_db.parent / "requests.db"
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT reference, sender_id, order_id, issue_category, request_goal, expected_time, summary, role, delivered "
            "FROM support_requests"
        ).fetchall()
    assert rows == [
        (
            match.group(1),
            SENDER,
            "8123456789012345",
            "物流问题",
            "要求退款",
            "PT48H",
            "订单#8123456789012345，物流问题，要求退款，希望48小时内回复。",
            "buyer",
            0,
        )
    ]

    # Nothing stale: a new form starts empty and asks the first question again.
    again = say("帮我整理要发给客服的问题")
    assert "先选问题类别" in again, again

    target = os.environ.get("FORM_TRANSCRIPT")
    if target:
        lines = ["# 示例对话：整理并提交客服请求", "", f"（来自 `tests/e2e/test_form_conversation.py` 的一次真实运行，北京时间固定为 {FROZEN}。）", ""]
        for user, bubbles in transcript:
            lines.append(f"**用户：** {user}")
            lines.append("")
            for bubble in bubbles:
                lines.append("> **助手：** " + bubble.replace("\n", "  \n> "))
                lines.append("")
        Path(target).write_text("\n".join(lines), encoding="utf-8")


def test_form_started_pre_filled_asks_only_what_is_missing(form_stack: Stack):
    """The issue's example fills order, category and goal at once and asks only for the time.

    If the NLU takes the sentence as a refund question, the answer offers the form; accepting
    the offer must still keep all three values.
    """
    sender = "form-e2e-prefilled"
    replies = form_stack.say(sender, "我的订单8123456789012345一直没收到货，想退款，帮我整理一下")
    offers = [b["payload"] for r in replies for b in r.get("buttons") or []]
    if "/start_support_request" in offers:
        replies = form_stack.say(sender, "/start_support_request")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "希望多久内得到回复" in text, text
    assert "先选问题类别" not in text and "请发订单号" not in text and "希望客服怎么处理" not in text, text
    summary = "\n".join(r.get("text", "") for r in form_stack.say(sender, "尽快"))
    assert "订单#8123456789012345，物流问题，要求退款，希望24小时内回复。" in summary, summary
