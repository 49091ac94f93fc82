"""The form's question for each slot (``action_ask_<slot>``), with buttons where a choice follows."""
from __future__ import annotations

from typing import List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.request_form.reading import previous_bot_texts
from actions.understanding import has_cue
from actions.request_form.settings import buttons, describe_duration, entity_payload, facts, name_of, say, use_language


class AskSlotAction(Action):
    """Base of the questions; ``slot`` names the slot (abstract while empty)."""

    slot: str = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        """The text and the (title, payload) buttons."""
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        use_language(tracker)
        text, pairs = self.question(tracker)
        if text in previous_bot_texts(tracker):
            text = say("ask_again", question=text)  # asked again after a detour: never the same bubble twice
        dispatcher.utter_message(text=text, buttons=buttons(pairs))
        return []


class ActionAskIssueCategory(AskSlotAction):
    slot = "issue_category"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        names = list(facts()["categories"])
        return say("ask_issue_category"), [(name_of(n), entity_payload(self.slot, n)) for n in names]


class ActionAskOrderId(AskSlotAction):
    slot = "order_id"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        order = facts()["order_id"]
        if has_cue((tracker.latest_message or {}).get("text") or "", "order_number_safe"):
            # "把订单号发给客服会不会泄露我的信息" read as a wish for the form: the worry answered in the question.
            return say("ask_order_id_safe", example=order["example"], letter_example=order["letter_example"]), []
        if tracker.get_slot("issue_category") in order["none_allowed_for"]:
            button = (say("no_order_button"), entity_payload(self.slot, say("no_order_button")))
            return say("ask_order_id_account", example=order["example"]), [button]
        return say("ask_order_id", example=order["example"], letter_example=order["letter_example"]), []


class ActionAskRequestGoal(AskSlotAction):
    slot = "request_goal"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        return say("ask_request_goal"), [(name_of(n), entity_payload(self.slot, n)) for n in facts()["goals"]]


class ActionAskExpectedTime(AskSlotAction):
    slot = "expected_time"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        choices = facts()["expected_time"]["choices"]
        pairs = [(say("within", duration=describe_duration(c)), entity_payload(self.slot, c)) for c in choices]
        return say("ask_expected_time"), pairs
