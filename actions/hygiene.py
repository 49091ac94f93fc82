"""Conversation hygiene replies, predicted by policies/hygiene_policy.py:

* three unhandled turns in a row → offer the human channels (the guide: 3次无效交互后转人工);
* the same message three times in a row → the guide's no-repeat / no-flooding advice;
* an emoji-only message → ask to describe the problem in words.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import read_turn
from actions.guidance import Reply, button, channels_answer, line, say
from actions.knowledge import caution
from actions.understanding import has_cue


class ActionOfferHuman(Action):
    """After three unhandled turns: the human channels for this user, unasked."""

    def name(self) -> Text:
        return "action_offer_human"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = read_turn(tracker)[0].sit
        say(dispatcher, channels_answer(replace(sit, given=frozenset()), intro_key="offer_human").replies)
        return []


class ActionNoFlooding(Action):
    """The same message three times in a row: why repeating slows things down."""

    def name(self) -> Text:
        return "action_no_flooding"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = read_turn(tracker)[0].sit
        text = line(sit, "no_flooding", no_repeats=caution("no_repeats")["rule"])
        say(dispatcher, [Reply(text, (button(sit, "start_support_request"),))])
        return []


class ActionAskInWords(Action):
    """An emoji-only message: ask for a description in words."""

    def name(self) -> Text:
        return "action_ask_in_words"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = read_turn(tracker)[0].sit
        # A wave is a hello: greeted back before the request for words. The NLU's normalizer keeps
        # the emoji as entities (the text it parses is empty).
        entities = tracker.latest_message.get("entities") or []
        emoji = "".join(str(e.get("value")) for e in entities if e.get("entity") == "emoji")
        key = "ask_in_words_greeting" if has_cue(f"{sit.text}{emoji}", "greeting_emoji") else "ask_in_words"
        say(dispatcher, [Reply(line(sit, key))])
        return []
