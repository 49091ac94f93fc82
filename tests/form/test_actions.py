"""The form's other actions: questions, summary, submission (store + handoff), reset."""
from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.request_store import get_store
from actions.request_form.questions import ActionAskExpectedTime, ActionAskIssueCategory, ActionAskOrderId
from actions.request_form.submission import ActionResetSupportRequest, ActionSubmitSupportRequest
from actions.request_form.summary import ActionSummarizeSupportRequest
from actions.request_form.settings import say
from actions.request_form.summary import REQUEST_MESSAGE_TYPE
from tests.form.conftest import slot
from tests.form.webhook import ScriptedWebhook

FILLED = {
    "order_id": "8123456789012345",
    "issue_category": "物流问题",
    "request_goal": "要求退款",
    "expected_time": "PT48H",
}
RESET = [
    slot("order_id", None),
    slot("issue_category", None),
    slot("request_goal", None),
    slot("expected_time", None),
    slot("issue_words", None),
    slot("support_form_failures", None),
]
TIMELINE = say("timeline", chase_hours=24, escalate_hours=48, center="消费者保护中心", intervene_hours=72)
SUMMARY = "订单#8123456789012345，物流问题，要求退款，希望48小时内回复。"


def run(action, slots: Dict[str, Any], domain=None):
    tracker = Tracker("user-7", slots, {"text": "/affirm", "intent": {"name": "affirm"}, "entities": []}, [], False, None, None, None)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return events, dispatcher.messages


def texts(messages: List[Dict[str, Any]]) -> List[Optional[str]]:
    """The text bubbles (the copyable request block is a separate json_message)."""
    return [m["text"] for m in messages if m.get("text")]


def request_blocks(messages: List[Dict[str, Any]]) -> List[str]:
    return [m["custom"]["text"] for m in messages if (m.get("custom") or {}).get("type") == REQUEST_MESSAGE_TYPE]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T10:00:00+08:00")


def test_questions_offer_buttons():
    _, messages = run(ActionAskIssueCategory(), {})
    assert texts(messages) == [say("ask_issue_category")]
    assert [b["title"] for b in messages[0]["buttons"]][:2] == ["物流问题", "退款问题"]
    assert messages[0]["buttons"][0]["payload"] == '/inform{"issue_category":"物流问题"}'
    _, messages = run(ActionAskExpectedTime(), {})
    assert [b["title"] for b in messages[0]["buttons"]] == ["24小时内", "48小时内", "7天内"]


def test_order_question_offers_no_order_only_for_account_problems():
    _, messages = run(ActionAskOrderId(), {"issue_category": "物流问题"})
    assert texts(messages) == [say("ask_order_id", example="8123456789012345", letter_example="#ABC123")]
    assert messages[0]["buttons"] == []
    _, messages = run(ActionAskOrderId(), {"issue_category": "账户安全"})
    assert messages[0]["buttons"] == [{"title": "没有订单号", "payload": '/inform{"order_id":"没有订单号"}'}]


def test_summary_in_the_guide_format_with_confirm_buttons_and_a_copyable_block():
    events, messages = run(ActionSummarizeSupportRequest(), FILLED)
    assert events == []
    assert texts(messages) == [say("confirm", summary=SUMMARY)]
    assert [b["payload"] for b in messages[-1]["buttons"]] == ["/affirm", "/deny"]
    assert request_blocks(messages) == [SUMMARY]


def test_incomplete_summary_resets():
    events, messages = run(ActionSummarizeSupportRequest(), {**FILLED, "expected_time": None})
    assert events == RESET
    assert texts(messages) == [say("incomplete")]


def test_submit_saves_and_says_where_to_send_with_evidence_and_timeline(store_url):
    events, messages = run(ActionSubmitSupportRequest(), {**FILLED, "role": "buyer"})
    assert events == RESET
    saved_text = texts(messages)[0]
    reference = re.search(r"SR20261126-[0-9A-F]{6}", saved_text).group(0)
    assert saved_text == say("saved", reference=reference, summary=SUMMARY)
    assert "本助手记录编号" in saved_text  # this assistant's record, not a platform ticket
    assert request_blocks(messages) == [SUMMARY]
    assert texts(messages)[1:] == [
        "现在北京时间10:00。发给阿里小蜜：打开速卖通App，点右下角【我的】→【我的订单】找到对应订单→点【联系客服】。"
        "附件多的话可发邮件到 service@aliexpress.com。",
        "请一并附上：物流单号、物流轨迹截图、订单详情页截图。",
        TIMELINE,
    ]
    stored = get_store().get(reference)
    assert (stored.sender_id, stored.order_id, stored.issue_category, stored.request_goal, stored.expected_time) == (
        "user-7", "8123456789012345", "物流问题", "要求退款", "PT48H"
    )
    assert (stored.role, stored.created_at, stored.delivered) == ("buyer", "2026-11-26T10:00:00+08:00", False)


def test_seller_after_hours_gets_the_next_opening(store_url, monkeypatch):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T20:30:00+08:00")
    _, messages = run(ActionSubmitSupportRequest(), {**FILLED, "role": "seller"})
    send = texts(messages)[1]
    # The facts, not the sentence: China time now, closed, the next opening, the desk, e-mail.
    for fact in ("20:30", "11月27日 09:00", "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm", "service@aliexpress.com"):
        assert fact in send, (fact, send)
    assert "在线" not in send


def test_seller_in_hours_gets_the_seller_channel(store_url):
    _, messages = run(ActionSubmitSupportRequest(), {**FILLED, "role": "seller"})
    assert texts(messages)[1].startswith("现在北京时间10:00。卖家专属客服在线（每周一至周日 9:00–18:00）：")


def test_account_problem_without_order_uses_all_channels(store_url):
    slots = {"order_id": "无", "issue_category": "账户安全", "request_goal": "找回账户", "expected_time": "PT24H", "device": "web"}
    _, messages = run(ActionSubmitSupportRequest(), slots)
    assert texts(messages)[0].endswith("\n无订单号，账户安全，找回账户，希望24小时内回复。")
    assert texts(messages)[1] == (
        "现在北京时间10:00。账户问题请同时用在线聊天和邮件：登录速卖通官网，点右上角【Help】→【Customer Service】进入在线聊天。"
        "另发邮件到 service@aliexpress.com，主题写「紧急」。"
    )
    assert texts(messages)[2] == "请一并附上：账号或绑定邮箱、异常登录或异常订单的截图。"


def test_submit_hands_off_to_the_webhook(store_url, monkeypatch):
    with ScriptedWebhook([200]) as hook:
        monkeypatch.setenv("HANDOFF_WEBHOOK_URL", hook.url)
        _, messages = run(ActionSubmitSupportRequest(), FILLED)
    assert texts(messages)[-1] == say("handed_off")
    reference = hook.received[0]["reference"]
    assert get_store().get(reference).delivered is True


def test_failed_handoff_keeps_the_request_for_a_retry(store_url, monkeypatch):
    monkeypatch.setenv("HANDOFF_ATTEMPTS", "2")
    monkeypatch.setenv("HANDOFF_BACKOFF", "0")
    with ScriptedWebhook([500]) as hook:
        monkeypatch.setenv("HANDOFF_WEBHOOK_URL", hook.url)
        _, messages = run(ActionSubmitSupportRequest(), FILLED)
    assert hook.calls == 2
    assert say("handed_off") not in texts(messages)
    [pending] = get_store().list_undelivered()
    assert (pending.order_id, pending.last_error) == ("8123456789012345", "HTTP 500")


def test_submit_retries_earlier_undelivered_requests(store_url, monkeypatch):
    """A request whose delivery failed before goes out with the next submission."""
    monkeypatch.setenv("HANDOFF_ATTEMPTS", "1")
    with ScriptedWebhook([500, 200]) as hook:
        monkeypatch.setenv("HANDOFF_WEBHOOK_URL", hook.url)
        run(ActionSubmitSupportRequest(), FILLED)
        assert len(get_store().list_undelivered()) == 1
        run(ActionSubmitSupportRequest(), {**FILLED, "order_id": "ABC123"})
    assert get_store().list_undelivered() == []
    assert sorted(body["order_id"] for body in hook.received) == ["8123456789012345", "ABC123"]


def test_reset_clears_everything():
    events, messages = run(ActionResetSupportRequest(), FILLED)
    assert events == RESET
    assert texts(messages) == [say("stopped")]


def test_the_form_speaks_the_conversations_language():
    """English conversation (language slot): English question and buttons, the guide's values as payloads."""
    _, messages = run(ActionAskIssueCategory(), {"language": "en"})
    assert texts(messages) and not re.search(r"[\u4e00-\u9fff]", texts(messages)[0])
    assert messages[0]["buttons"][0]["payload"] == '/inform{"issue_category":"物流问题"}'
    assert not re.search(r"[\u4e00-\u9fff]", messages[0]["buttons"][0]["title"])
    _, chinese = run(ActionAskIssueCategory(), {})
    assert texts(chinese) == [say("ask_issue_category")]
