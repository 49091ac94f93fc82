"""The form's other actions: questions, summary, submission (store + handoff), reset."""
from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.request_store import get_store
from actions.support_form import (
    ActionAskExpectedTime,
    ActionAskIssueCategory,
    ActionAskOrderId,
    ActionResetSupportRequest,
    ActionSubmitSupportRequest,
    ActionSummarizeSupportRequest,
)
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
    slot("support_form_failures", None),
]
TIMELINE = "之后：24小时没进展，在工单页点「催办」；48小时仍未处理且影响权益，可去「消费者保护中心」投诉，平台72小时内介入。"


def run(action, slots: Dict[str, Any], domain=None):
    tracker = Tracker("user-7", slots, {"text": "/affirm", "intent": {"name": "affirm"}, "entities": []}, [], False, None, None, None)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return events, dispatcher.messages


def texts(messages: List[Dict[str, Any]]) -> List[Optional[str]]:
    return [m["text"] for m in messages]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T10:00:00+08:00")


def test_questions_offer_buttons():
    _, messages = run(ActionAskIssueCategory(), {})
    assert texts(messages) == ["先选问题类别："]
    assert [b["title"] for b in messages[0]["buttons"]][:2] == ["物流问题", "退款问题"]
    assert messages[0]["buttons"][0]["payload"] == '/inform{"issue_category":"物流问题"}'
    _, messages = run(ActionAskExpectedTime(), {})
    assert [b["title"] for b in messages[0]["buttons"]] == ["24小时内", "48小时内", "7天内"]


def test_order_question_offers_no_order_only_for_account_problems():
    _, messages = run(ActionAskOrderId(), {"issue_category": "物流问题"})
    assert texts(messages) == ["请发订单号（如 8123456789012345 或 #ABC123）。"]
    assert messages[0]["buttons"] == []
    _, messages = run(ActionAskOrderId(), {"issue_category": "账户安全"})
    assert messages[0]["buttons"] == [{"title": "没有订单号", "payload": '/inform{"order_id":"没有订单号"}'}]


def test_summary_in_the_guide_format_with_confirm_buttons():
    events, messages = run(ActionSummarizeSupportRequest(), FILLED)
    assert events == []
    assert texts(messages) == ["整理好了，请确认：\n订单#8123456789012345，物流问题，要求退款，希望48小时内回复。"]
    assert messages[0]["buttons"] == [
        {"title": "确认提交", "payload": "/affirm"},
        {"title": "不对，不提交", "payload": "/deny"},
    ]


def test_incomplete_summary_resets():
    events, messages = run(ActionSummarizeSupportRequest(), {**FILLED, "expected_time": None})
    assert events == RESET
    assert texts(messages) == ["信息还不完整，这份请求没法整理。需要时说「帮我整理问题」重新开始。"]


def test_submit_saves_and_says_where_to_send_with_evidence_and_timeline(store_url):
    events, messages = run(ActionSubmitSupportRequest(), {**FILLED, "role": "buyer"})
    assert events == RESET
    saved_text = texts(messages)[0]
    match = re.fullmatch(r"已保存，编号 (SR20261126-[0-9A-F]{6})。发给客服时复制这句：\n(.*)", saved_text)
    assert match and match.group(2) == "订单#8123456789012345，物流问题，要求退款，希望48小时内回复。"
    assert texts(messages)[1:] == [
        "现在北京时间10:00。发给阿里小蜜：打开速卖通App，点右下角【我的】→【我的订单】找到对应订单→点【联系客服】。"
        "附件多的话可发邮件到 service@aliexpress.com。",
        "请一并附上：物流单号、物流轨迹截图、订单详情页截图。",
        TIMELINE,
    ]
    stored = get_store().get(match.group(1))
    assert (stored.sender_id, stored.order_id, stored.issue_category, stored.request_goal, stored.expected_time) == (
        "user-7", "8123456789012345", "物流问题", "要求退款", "PT48H"
    )
    assert (stored.role, stored.created_at, stored.delivered) == ("buyer", "2026-11-26T10:00:00+08:00", False)


def test_seller_after_hours_gets_the_next_opening(store_url, monkeypatch):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T20:30:00+08:00")
    _, messages = run(ActionSubmitSupportRequest(), {**FILLED, "role": "seller"})
    assert texts(messages)[1] == (
        "现在北京时间20:30。卖家专属客服已下班（每周一至周日 9:00–18:00），11月27日 09:00后再去："
        "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm；需要附件可先发邮件到 service@aliexpress.com。"
    )


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
    assert texts(messages)[-1] == "这份请求也已转给人工客服团队。"
    reference = hook.received[0]["reference"]
    assert get_store().get(reference).delivered is True


def test_failed_handoff_keeps_the_request_for_a_retry(store_url, monkeypatch):
    monkeypatch.setenv("HANDOFF_ATTEMPTS", "2")
    monkeypatch.setenv("HANDOFF_BACKOFF", "0")
    with ScriptedWebhook([500]) as hook:
        monkeypatch.setenv("HANDOFF_WEBHOOK_URL", hook.url)
        _, messages = run(ActionSubmitSupportRequest(), FILLED)
    assert hook.calls == 2
    assert "这份请求也已转给人工客服团队。" not in texts(messages)
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
    assert texts(messages) == ["好的，已停止，这次填的内容已清空。需要时说「帮我整理问题」重新开始。"]
