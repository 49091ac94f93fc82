"""The summary in the guide's template, corrections to it before anything is saved, and where to send it."""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from rasa_sdk.utils import call_potential_coroutine

from actions import clock, knowledge
from actions.request_form import reading
from actions.understanding import facet
from actions.request_form.settings import (
    FAILURES_SLOT,
    FORM_SLOTS,
    WORDS_SLOT,
    buttons,
    describe_category,
    describe_deadline,
    describe_order,
    facts,
    name_of,
    say,
    use_language,
)
from actions.request_form.validation import ValidateSupportRequestForm, acknowledge

REQUEST_MESSAGE_TYPE = "support_request"  # json_message type the widget renders with a copy button


def format_summary(
    order_id: str, issue_category: str, request_goal: str, expected_time: str, issue_words: Optional[str] = None
) -> str:
    """The guide's template: 【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】, the category
    with the user's own words for the problem."""
    return say(
        "summary",
        order=describe_order(order_id),
        category=describe_category(issue_category, issue_words),
        goal=name_of(request_goal),
        deadline=describe_deadline(expected_time),
    )


def send_request_block(dispatcher: CollectingDispatcher, summary: str) -> None:
    """The copyable request as its own message (the widget shows it with a copy button)."""
    dispatcher.utter_message(json_message={"type": REQUEST_MESSAGE_TYPE, "text": summary})


def filled(tracker: Tracker) -> Optional[Dict[str, str]]:
    """The four values, or None while one is missing."""
    values = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
    return values if all(values.values()) else None


def reset_events() -> List[EventType]:
    """Clear the four form slots and the failure counts so nothing stale reaches a later form."""
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS, WORDS_SLOT, FAILURES_SLOT)]


def incomplete(dispatcher: CollectingDispatcher) -> List[EventType]:
    """Say the form is incomplete and reset it (nothing stale comes back later)."""
    dispatcher.utter_message(text=say("incomplete"))
    return reset_events()


def show_summary(dispatcher: CollectingDispatcher, values: Dict[str, str], words: Optional[str]) -> None:
    summary = format_summary(**values, issue_words=words)
    # The block goes first: the web widget shows quick replies only on the turn's last message.
    send_request_block(dispatcher, summary)
    dispatcher.utter_message(text=say("confirm", summary=summary), buttons=confirm_buttons())


def confirm_buttons() -> List[Dict[str, str]]:
    return buttons([(say("confirm_button"), "/affirm"), (say("reject_button"), "/deny")])


def where_to_send(role: Optional[str], device: Optional[str], category: str, now: datetime) -> str:
    """The best place to send this request for the user's role, device and category, at ``now``."""
    now_text = say("now", time=f"{now:%H:%M}")
    email = knowledge.channel("email")["address"]
    if role == "seller":
        seller = knowledge.channel("seller_channel")
        if clock.is_open(seller, now):
            return say("send_seller_open", now=now_text, hours=seller.hours.label, how=seller["how"], url=seller["url"])
        opens = clock.next_opening(seller, now)
        opening = say("opening_time", month=f"{opens:%m}", day=f"{opens:%d}", time=f"{opens:%H:%M}")
        return say("send_seller_closed", now=now_text, hours=seller.hours.label, opening=opening, url=seller["url"], email=email)
    chat = knowledge.channel("alixiaomi_web" if device == "web" else "alixiaomi_app")
    if category in facts()["order_id"]["none_allowed_for"]:
        keyword = knowledge.scenario("account_security")["subject_keyword"]
        return say("send_account", now=now_text, how=chat["how"], email=email, keyword=keyword)
    return say("send_buyer", now=now_text, how=chat["how"], email=email)


class ActionSummarizeSupportRequest(Action):
    """Show the request in the guide's format and ask for confirmation."""

    def name(self) -> Text:
        return "action_summarize_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        use_language(tracker)
        values = filled(tracker)
        if values is None:
            return incomplete(dispatcher)
        show_summary(dispatcher, values, tracker.get_slot(WORDS_SLOT))
        return []


class ActionReviewSupportRequest(Action):
    """A reply to the summary other than 确认: apply the corrections it names and show the summary
    again, or (a plain 不对/不提交) leave without saving.

    Rasa's entity mappings have already put the message's values into the slots; each goes
    through the form's validator, and a value the validator refuses leaves the earlier one.
    """

    def name(self) -> Text:
        return "action_review_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        use_language(tracker)
        candidates = reading.set_this_turn(tracker)
        validator = ValidateSupportRequestForm()
        checked: Dict[str, object] = {}
        for slot, value in candidates.items():
            result = await call_potential_coroutine(getattr(validator, f"validate_{slot}")(value, dispatcher, tracker, domain))
            checked.update(result)
            tracker.slots.update(result)
        for slot in FORM_SLOTS:
            if slot in checked and checked[slot] is None:
                checked[slot] = reading.previous_value(tracker, slot)
                tracker.slots[slot] = checked[slot]
        events: List[EventType] = [SlotSet(slot, value) for slot, value in checked.items()]
        changed = [slot for slot in FORM_SLOTS if slot in checked and checked[slot] != reading.previous_value(tracker, slot)]
        if not changed:
            intent = tracker.latest_message.get("intent", {}).get("name")
            if intent == "deny":
                dispatcher.utter_message(text=say("stopped"))
                return events + reset_events()
            if intent == "thank":
                # A thanks is no yes: nothing is saved until 确认提交 (the summary stands just above).
                dispatcher.utter_message(text=say("not_submitted_yet"), buttons=confirm_buttons())
                return events
            if facet(str(tracker.latest_message.get("text") or ""), "send_where"):
                # "复制到哪发" before confirming: where it goes; the summary stands just above.
                where = where_to_send(tracker.get_slot("role"), tracker.get_slot("device"), str(tracker.get_slot("issue_category") or ""), clock.now_in_china())
                dispatcher.utter_message(text=where, buttons=confirm_buttons())
                return events
            dispatcher.utter_message(text=say("nothing_changed"))
        acknowledge(dispatcher, tracker, events)
        values = filled(tracker)
        if values is None:
            return events + incomplete(dispatcher)
        show_summary(dispatcher, values, tracker.get_slot(WORDS_SLOT))
        return events
