"""What the form's modules share: slot names, the guide's ``request_form`` facts and the wording."""
from __future__ import annotations

import calendar
from contextvars import ContextVar
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from actions import clock, knowledge
from actions.understanding import language_of
from parsing import describe_parts, iso_minutes

FORM_SLOTS = ("order_id", "issue_category", "request_goal", "expected_time")
FAILURES_SLOT = "support_form_failures"
WORDS_SLOT = "issue_words"  # the user's own words for the problem, shown beside the category
# Entities that answer a question of their own; free text carrying one of them is not taken
# as the answer to a different form slot (e.g. 「订单号错了，是…」 while the time is asked).
ANSWER_ENTITIES = FORM_SLOTS + ("role", "device")
NO_ORDER = "无"  # order_id for account problems without an order
PENDING_ORDER = "待补充"  # order_id the user chose to skip
SKIP = "跳过"  # entity value sent by the skip buttons
MAX_FAILURES = 2


def facts() -> Dict[str, Any]:
    """The ``request_form:`` section of the guide file."""
    return knowledge.guide()["request_form"]


# The language of the action being run (one action call is one task of the action server).
LANGUAGE: ContextVar[str] = ContextVar("form_language", default="zh")


def use_language(tracker: Tracker) -> str:
    """Sets the form's wording to the conversation's language: the language slot's, else that of
    its first message with words (a form started in Chinese stays Chinese when an answer is
    English words such as "never arrived"; one started in English is English throughout)."""
    lang = tracker.get_slot("language") or first_language(tracker) or "zh"
    lang = lang if lang in knowledge.LANGUAGES else "zh"
    LANGUAGE.set(lang)
    return lang


def first_language(tracker: Tracker) -> Optional[str]:
    """The language of the conversation's first user message that shows one."""
    for event in tracker.events:
        if event.get("event") == "user":
            lang = language_of(str(event.get("text") or ""))
            if lang:
                return lang
    return language_of(str((tracker.latest_message or {}).get("text") or ""))


def say(key: str, **values: Any) -> str:
    """The form's line ``form_<key>`` of knowledge/replies.yml with its {names} filled in."""
    return str(knowledge.reply(f"form_{key}", LANGUAGE.get())).format(**values)


def label(slot: str) -> str:
    """How the wording names a slot (订单号, 问题类别 …)."""
    return str(knowledge.reply("form_slot_labels", LANGUAGE.get())[slot])


def name_of(value: str) -> str:
    """A category, goal or evidence item of the guide as the wording names it (itself in Chinese)."""
    return str(knowledge.reply("form_names", LANGUAGE.get()).get(value, value))


def buttons(pairs: List[Tuple[str, str]]) -> List[Dict[str, str]]:
    return [{"title": title, "payload": payload} for title, payload in pairs]


def entity_payload(slot: str, value: str) -> str:
    return f'/inform{{"{slot}":"{value}"}}'


def describe_duration(iso: str) -> str:
    """``PT48H`` → 48小时, ``PT168H`` → 7天, ``PT90M`` → 90分钟 (wording from replies.yml)."""
    unit, number = describe_parts(iso_minutes(iso) or 0)
    return str(knowledge.reply("form_durations", LANGUAGE.get())[unit]).format(n=number)


def describe_deadline(value: str) -> str:
    """The expected_time slot as the user reads it: ``PT48H`` → 48小时内, ``2026-12-03`` → 12月3日前,
    today's date → 今天之内."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return say("within", duration=describe_duration(value))
    return say("today") if day == clock.now_in_china().date() else say("by_date", **date_fields(day))


def date_fields(day: date) -> Dict[str, Any]:
    """What the wording of a day may use: 12月3日（周四） (month, day, weekday), by Thursday, December 3."""
    weekday = str(knowledge.reply("form_weekdays", LANGUAGE.get())[day.isoweekday() - 1])
    return {"month": day.month, "day": day.day, "month_name": calendar.month_name[day.month], "weekday": weekday}


def describe_order(order_id: str) -> str:
    """The order part of the summary."""
    if order_id == NO_ORDER:
        return say("no_order_label")
    if order_id == PENDING_ORDER:
        return say("pending_order_label")
    return say("order_label", order_id=order_id)


def describe_category(category: str, words: Optional[str]) -> str:
    """The category with the user's own words for it (商品质量问题（商品破损）)."""
    return say("category_with_words", category=name_of(category), words=words) if words else name_of(category)


def describe_value(slot: str, value: str) -> str:
    """A slot's value as the user reads it (订单#8123…, 3天, 物流问题)."""
    if slot == "order_id" and value in (NO_ORDER, PENDING_ORDER):
        return describe_order(value)
    if slot == "expected_time":
        return describe_deadline(value)
    return name_of(value)
