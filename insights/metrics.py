"""The figures of the report, computed from conversation events (pure functions, no I/O)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.core.constants import ACTION_TWO_STAGE_FALLBACK_NAME as TWO_STAGE_FALLBACK
from rasa.shared.core.constants import REQUESTED_SLOT

from insights.masking import mask_personal_data
from insights.period import Period, china_time
from insights.sources import Conversation, Event, SavedRequest

HUMAN_INTENT = "request_human"
# `offer_human_action` of policies/hygiene_policy.py: run after three unhandled turns in a row
# (importing the policy would load TensorFlow; tests/insights checks the two agree).
THREE_STRIKES_HANDOFF = "action_offer_human"


@dataclass(frozen=True)
class Message:
    """A user message as the report sees it (text already masked)."""

    text: str
    timestamp: float
    intent: str
    confidence: float
    guess: Optional[str]
    guess_confidence: float

    @classmethod
    def from_event(cls, event: Event) -> "Message":
        """Read a Rasa ``user`` event; ``guess`` is the best intent other than nlu_fallback."""
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        ranking = [
            entry
            for entry in parse_data.get("intent_ranking") or []
            if entry.get("name") and entry.get("name") != FALLBACK_INTENT
        ]
        best = max(ranking, key=lambda entry: entry.get("confidence") or 0.0, default={})
        return cls(
            text=" ".join(mask_personal_data(event.get("text") or "").split()),
            timestamp=event["timestamp"],
            intent=intent.get("name") or "unknown",
            confidence=float(intent.get("confidence") or 0.0),
            guess=best.get("name"),
            guess_confidence=float(best.get("confidence") or 0.0),
        )

    @property
    def is_button(self) -> bool:
        """A button payload such as ``/affirm`` rather than typed text."""
        return self.text.startswith("/")

    @property
    def has_words(self) -> bool:
        """Contains letters, digits or CJK characters (not only emoji or punctuation)."""
        return bool(re.search(r"\w", self.text))


@dataclass
class FormRun:
    """One activation of a form: completed by the form itself, or where it stopped."""

    form: str
    completed: bool = False
    stopped_at: Optional[str] = None


def form_runs(events: Iterable[Event]) -> List[FormRun]:
    """Every form activation in a conversation.

    A run is completed when the form deactivates itself (the ``active_loop: null`` event follows
    the form's own ``action`` event); any other end (``action_deactivate_loop``, another form, the
    conversation ending) is an abandonment at the last slot the form asked for. A two-stage
    fallback that briefly replaces the form does not end the run when the form resumes.
    """
    runs: List[FormRun] = []
    run: Optional[FormRun] = None
    active: Optional[str] = None
    last_action: Optional[str] = None
    for event in events:
        kind = event.get("event")
        if kind == "action":
            last_action = event.get("name")
        elif kind == "active_loop":
            name = event.get("name")
            if name == TWO_STAGE_FALLBACK or (name is None and active == TWO_STAGE_FALLBACK):
                active = name
                continue
            if run is not None and name != run.form:
                run.completed = name is None and last_action == run.form
                runs.append(run)
                run = None
            if name is not None and run is None:
                run = FormRun(name)
            active = name
        elif kind == "slot" and event.get("name") == REQUESTED_SLOT and event.get("value"):
            if run is not None and active == run.form:
                run.stopped_at = str(event["value"])
    if run is not None:
        runs.append(run)
    return runs


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _ranked(counter: Counter) -> Dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _ran(conversation: Conversation, action: str) -> bool:
    return any(e.get("event") == "action" and e.get("name") == action for e in conversation.events)


def summarize(
    conversations: List[Conversation],
    requests: List[SavedRequest],
    period: Period,
    low_confidence: float,
    top_unrecognized: int = 20,
) -> Dict[str, Any]:
    """The JSON summary of the report (see docs/insights.md for every field)."""
    messages = [(c, Message.from_event(e)) for c in conversations for e in c.user_events]
    total_conversations, total_messages = len(conversations), len(messages)

    days = {day.isoformat(): {"conversations": 0, "messages": 0} for day in period.days()}
    hours = {f"{hour:02d}": {"conversations": 0, "messages": 0} for hour in range(24)}
    for conversation in conversations:
        started = china_time(conversation.started_at)
        days.setdefault(started.date().isoformat(), {"conversations": 0, "messages": 0})
        days[started.date().isoformat()]["conversations"] += 1
        hours[f"{started.hour:02d}"]["conversations"] += 1
    for _, message in messages:
        sent = china_time(message.timestamp)
        days.setdefault(sent.date().isoformat(), {"conversations": 0, "messages": 0})
        days[sent.date().isoformat()]["messages"] += 1
        hours[f"{sent.hour:02d}"]["messages"] += 1

    unrecognized = [m for _, m in messages if m.intent == FALLBACK_INTENT]
    low = [
        m
        for _, m in messages
        if m.intent != FALLBACK_INTENT and m.confidence < low_confidence and not m.is_button
    ]
    fallback_conversations = {id(c) for c, m in messages if m.intent == FALLBACK_INTENT}
    human_conversations = {id(c) for c, m in messages if m.intent == HUMAN_INTENT}
    two_stage = [c for c in conversations if _ran(c, TWO_STAGE_FALLBACK)]
    handoffs = [c for c in conversations if _ran(c, THREE_STRIKES_HANDOFF)]

    runs = [run for conversation in conversations for run in form_runs(conversation.events)]
    forms: Dict[str, Dict[str, Any]] = {}
    for form in sorted({run.form for run in runs}):
        own = [run for run in runs if run.form == form]
        completed = sum(run.completed for run in own)
        abandoned = [run.stopped_at or "unknown" for run in own if not run.completed]
        forms[form] = {
            "started": len(own),
            "completed": completed,
            "abandoned": len(abandoned),
            "completion_rate": _rate(completed, len(own)),
            "abandoned_at": _ranked(Counter(abandoned)),
        }

    channels = Counter(conversation.channel for conversation in conversations)
    return {
        "period": {
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "timezone": "Asia/Shanghai",
        },
        "totals": {
            "conversations": total_conversations,
            "senders": len({c.sender_id for c in conversations}),
            "user_messages": total_messages,
            "bot_messages": sum(e.get("event") == "bot" for c in conversations for e in c.events),
        },
        "per_day": days,
        "per_hour": hours,
        "intents": _ranked(Counter(m.intent for _, m in messages)),
        "fallback": {
            "messages": len(unrecognized),
            "rate": _rate(len(unrecognized), total_messages),
            "conversations": len(fallback_conversations),
            "conversation_rate": _rate(len(fallback_conversations), total_conversations),
            "top_unrecognized": [
                {"text": text, "count": count}
                for text, count in Counter(m.text for m in unrecognized).most_common(top_unrecognized)
            ],
        },
        "low_confidence": {"threshold": low_confidence, "messages": len(low)},
        "two_stage_fallback": {
            "conversations": len(two_stage),
            "rate": _rate(len(two_stage), total_conversations),
        },
        "three_strikes_handoff": {
            "conversations": len(handoffs),
            "rate": _rate(len(handoffs), total_conversations),
        },
        "human_requested": {
            "conversations": len(human_conversations),
            "rate": _rate(len(human_conversations), total_conversations),
        },
        "forms": forms,
        "support_requests": {
            "total": len(requests),
            "by_category": _ranked(Counter(r.issue_category for r in requests)),
            "by_goal": _ranked(Counter(r.request_goal for r in requests)),
        },
        "channels": {
            name: {"conversations": count, "share": _rate(count, total_conversations)}
            for name, count in _ranked(channels).items()
        },
    }
