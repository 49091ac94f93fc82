"""Conversation hygiene replies, predicted by policies/hygiene_policy.py:

* three unhandled turns in a row → offer the human channels (the guide: 3次无效交互后转人工);
* the same message three times in a row → the guide's no-repeat / no-flooding advice;
* an emoji-only message → ask to describe the problem in words.

Each one also closes a running two-stage fallback, since it answers the turn itself.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.guidance import Reply, Situation, button, request_human_answer, say
from actions.knowledge import caution, reply

TWO_STAGE_FALLBACK = "action_two_stage_fallback"


def close_fallback_loop(tracker: Tracker) -> List[EventType]:
    """ActiveLoop(None) when the two-stage fallback is running (never touches a form)."""
    return [ActiveLoop(None)] if tracker.active_loop_name == TWO_STAGE_FALLBACK else []


class ActionOfferHuman(Action):
    """After three unhandled turns: the human channels for this user, unasked."""

    def name(self) -> Text:
        return "action_offer_human"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = Situation.from_tracker(tracker)
        say(dispatcher, request_human_answer(sit, intro_key="offer_human"))
        return close_fallback_loop(tracker)


class ActionNoFlooding(Action):
    """The same message three times in a row: why repeating slows things down."""

    def name(self) -> Text:
        return "action_no_flooding"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        text = str(reply("no_flooding")).format(no_repeats=caution("no_repeats")["rule"])
        say(dispatcher, [Reply(text, (button("start_support_request"),))])
        return close_fallback_loop(tracker)


class ActionAskInWords(Action):
    """An emoji-only message: ask for a description in words."""

    def name(self) -> Text:
        return "action_ask_in_words"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, [Reply(str(reply("ask_in_words")))])
        return close_fallback_loop(tracker)
