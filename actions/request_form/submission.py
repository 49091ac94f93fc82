"""Saving the confirmed request, then where to send it, the evidence to attach and what happens next."""
from __future__ import annotations

import asyncio
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock, knowledge
from actions.handoff import HandoffConfig, deliver_and_record, deliver_pending
from actions.request_form.settings import WORDS_SLOT, facts, name_of, say, use_language
from actions.request_form.summary import filled, format_summary, incomplete, reset_events, send_request_block, where_to_send
from actions.request_store import SupportRequest, get_store


def evidence_for(category: str) -> List[str]:
    """What to attach for this category (the guide's request_form facts)."""
    categories = facts()["categories"]
    return list((categories.get(category) or categories[facts()["fallback_category"]])["evidence"])


def follow_up_timeline() -> str:
    """催办 after 24 h, 消费者保护中心 after 48 h (the guide's section 04)."""
    ticket, protection = knowledge.scenario("ticket"), knowledge.scenario("consumer_protection")
    return say(
        "timeline",
        chase_hours=ticket["chase_after_hours"],
        escalate_hours=protection["escalate_after_hours"],
        center=protection["name"],
        intervene_hours=protection["intervene_within_hours"],
    )


class ActionSubmitSupportRequest(Action):
    """Save the confirmed request, give this assistant's record number, where to send it,
    the evidence and the timeline."""

    def name(self) -> Text:
        return "action_submit_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        use_language(tracker)
        values = filled(tracker)
        if values is None:
            return incomplete(dispatcher)
        now = clock.now_in_china()
        role = tracker.get_slot("role")
        request = SupportRequest(
            sender_id=tracker.sender_id,
            summary=format_summary(**values, issue_words=tracker.get_slot(WORDS_SLOT)),
            created_at=now.isoformat(),
            role=role,
            **values,
        )
        loop = asyncio.get_running_loop()
        store = get_store()
        saved = await loop.run_in_executor(None, store.save, request)
        category = values["issue_category"]
        dispatcher.utter_message(text=say("saved", reference=saved.reference, summary=saved.summary))
        send_request_block(dispatcher, saved.summary)
        dispatcher.utter_message(text=where_to_send(role, tracker.get_slot("device"), category, now))
        dispatcher.utter_message(text=say("evidence", items=say("value_separator").join(name_of(item) for item in evidence_for(category))))
        dispatcher.utter_message(text=follow_up_timeline())
        config = HandoffConfig.from_env()
        if config is not None:
            if await loop.run_in_executor(None, deliver_and_record, store, saved, config):
                dispatcher.utter_message(text=say("handed_off"))
            # Earlier requests that could not be delivered are retried in the background.
            loop.run_in_executor(None, deliver_pending, store, config, {saved.reference})
        return reset_events()


class ActionResetSupportRequest(Action):
    """Leave the form (stop confirmed): nothing is saved, slots are cleared."""

    def name(self) -> Text:
        return "action_reset_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        use_language(tracker)
        dispatcher.utter_message(text=say("stopped"))
        return reset_events()
