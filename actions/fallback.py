"""Rasa's core fallback (`action_default_fallback`), when no policy is confident of any action.

Unsure NLU predictions (`nlu_fallback`) are answered by `action_answer` (actions/conversation.py),
which offers the likeliest topics as buttons; three unhandled turns in a row are taken over by
policies/hygiene_policy.py.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import read_turn
from actions.guidance import Reply, line, say, topic_buttons


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
        sit = read_turn(tracker)[0].sit
        say(dispatcher, [Reply(line(sit, "fallback_default"), topic_buttons(sit))])
        return []
