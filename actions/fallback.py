"""Chinese versions of Rasa's two-stage fallback steps (overriding the default actions).

The FallbackClassifier turns unsure predictions into `nlu_fallback`; the rule in
data/rules/fallback.yml starts `action_two_stage_fallback`, which calls these actions:
ask to confirm the likeliest intent → ask to rephrase → give up (offer the main topics).
Three unhandled turns in a row are taken over by policies/hygiene_policy.py.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.guidance import Reply, say, topic_buttons
from actions.knowledge import reply

NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# Intents not worth confirming: "did you mean 'unrelated question' / 'yes' / 'hello'?" helps nobody.
NOT_CONFIRMED = (NLU_FALLBACK, OUT_OF_SCOPE, "inform", "affirm", "deny", "greet", "goodbye", "thank")


def intent_to_confirm(latest_message: Dict[Text, Any]) -> Optional[str]:
    """The likeliest real intent of an unsure message, or None when none is worth asking."""
    ranking = latest_message.get("intent_ranking") or []
    labels = reply("intent_labels")
    for candidate in ranking:
        name = candidate.get("name")
        if name not in NOT_CONFIRMED and name in labels:
            return str(name)
    return None


class ActionDefaultAskAffirmation(Action):
    """您是想问「…」吗？ with 是的 (/intent) and 都不是 (/out_of_scope, as Rasa expects)."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = intent_to_confirm(tracker.latest_message)
        if intent is None:
            say(dispatcher, [Reply(str(reply("fallback_rephrase")))])
            return []
        label = reply("intent_labels")[intent]
        titles = reply("fallback_affirm_buttons")
        buttons = ((titles["confirm"], f"/{intent}"), (titles["reject"], f"/{OUT_OF_SCOPE}"))
        say(dispatcher, [Reply(str(reply("fallback_affirm")).format(label=label), buttons)])
        return []


class ActionDefaultAskRephrase(Action):
    """Ask the user to say it again, with an example of a clear request."""

    def name(self) -> Text:
        return "action_default_ask_rephrase"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, [Reply(str(reply("fallback_rephrase")))])
        return []


class ActionDefaultFallback(Action):
    """Give up politely and offer the main topics.

    Unlike Rasa's default it keeps the user's message on the tracker, so the unhandled turn
    still counts towards the three-strikes rule.
    """

    def name(self) -> Text:
        return "action_default_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, [Reply(str(reply("fallback_default")), topic_buttons())])
        return []
