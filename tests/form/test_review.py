"""Replies to the summary: a correction changes the slot it names, is said, and the summary is
shown again (nothing saved); a plain 不对 saves nothing and clears the form."""
from __future__ import annotations

import asyncio
from typing import Any, Dict

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.request_form.settings import FAILURES_SLOT, label, say
from actions.request_form.summary import REQUEST_MESSAGE_TYPE, ActionReviewSupportRequest, format_summary
from tests.form.conftest import make_tracker, said, slot

FILLED = {"order_id": "8123456789012345", "issue_category": "商品质量问题", "request_goal": "补发或换货", "expected_time": "PT48H"}
SUMMARY_SHOWN = [{"event": "action", "name": "action_summarize_support_request"}, {"event": "action", "name": "action_listen"}]


def review(tracker, domain) -> tuple:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionReviewSupportRequest().run(dispatcher, tracker, domain))
    return events, dispatcher.messages


def after_summary(understand, text: str, intent: str = "inform"):
    return said(understand, text, intent=intent, requested_slot=None, slots=FILLED, earlier_events=SUMMARY_SHOWN)


def values_after(events) -> Dict[str, Any]:
    values = dict(FILLED)
    values.update({e["name"]: e["value"] for e in events if e["name"] in FILLED})
    return values


def blocks(messages):
    return [m["custom"]["text"] for m in messages if (m.get("custom") or {}).get("type") == REQUEST_MESSAGE_TYPE]


@pytest.mark.parametrize(
    "text, intent, changed_slot, value, shown",
    [
        ("时间改为三天内", "inform", "expected_time", "PT72H", "3天内"),
        ("改一下 是12月3日前", "inform", "expected_time", "2026-12-03", "12月3日（周四）前"),
        ("不对，订单号是8123456789012346", "deny", "order_id", "8123456789012346", "8123456789012346"),
        ("不对，我改主意了，要退款不换货了", "deny", "request_goal", "要求退款", "要求退款"),
        ("改成退款", "refund", "request_goal", "要求退款", "要求退款"),
    ],
)
def test_correction_changes_the_named_slot_and_shows_the_summary_again(
    understand, domain, monkeypatch, text, intent, changed_slot, value, shown
):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T10:00:00+08:00")
    events, messages = review(after_summary(understand, text, intent), domain)
    values = values_after(events)
    assert values == {**FILLED, changed_slot: value}
    texts = [m["text"] for m in messages if m.get("text")]
    assert say("changed", values=say("value", label=label(changed_slot), value=shown)) in texts
    assert texts[-1] == say("confirm", summary=format_summary(**values))
    assert blocks(messages) == [format_summary(**values)]
    assert not any(e["name"] == FAILURES_SLOT for e in events)


def test_plain_no_saves_nothing_and_clears_the_form(domain):
    tracker = make_tracker("/deny", {}, intent="deny", requested_slot=None, slots=FILLED, earlier_events=SUMMARY_SHOWN)
    events, messages = review(tracker, domain)
    assert [m["text"] for m in messages] == [say("stopped")]
    assert all(slot(name, None) in events for name in FILLED)


def test_reply_without_a_change_shows_the_summary_again(domain):
    tracker = make_tracker("嗯？", {}, intent="inform", requested_slot=None, slots=FILLED, earlier_events=SUMMARY_SHOWN)
    events, messages = review(tracker, domain)
    assert values_after(events) == FILLED
    assert [m["text"] for m in messages if m.get("text")] == [say("nothing_changed"), say("confirm", summary=format_summary(**FILLED))]


def test_an_invalid_new_value_keeps_the_earlier_one(domain):
    tracker = make_tracker(
        "时间改成马上", {"expected_time": "马上"}, intent="inform", requested_slot=None, slots=FILLED, earlier_events=SUMMARY_SHOWN
    )
    events, _ = review(tracker, domain)
    assert values_after(events)["expected_time"] == "PT48H"


def test_thanks_at_the_summary_saves_nothing_and_asks_to_confirm(understand, domain):
    events, messages = review(after_summary(understand, "好嘞多谢", "thank"), domain)
    assert values_after(events) == FILLED and not any(e["name"] in FILLED and e["value"] is None for e in events)
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts[0] == say("not_submitted_yet")
    assert [b["payload"] for b in messages[-1]["buttons"]] == ["/affirm", "/deny"]
