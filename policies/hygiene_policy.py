"""ConversationHygienePolicy: the guide's rules about how a conversation goes wrong.

After a user message (outside a form) it predicts, in this order:
1. `action_no_flooding` when the same message arrived `max_repeats` times in a row;
2. `action_offer_human` after `max_unhandled_turns` consecutive turns the assistant could not
   handle (NLU fallback, out-of-scope, or answered by the fallback action);
3. `action_ask_in_words` for an emoji-only message (NLU: `nlu_fallback` + `emoji` entity).
A turn counts as unhandled when its intent is unsure or out of scope, or the fallback action
answered it, unless the answer recorded a topic (`action_answer` sets `last_topic` when a clear
word or the context resolved an unsure message). After one of its actions or the fallback
action it predicts `action_listen`. Otherwise it abstains (all zeros).

Its predictions are marked as not depending on user featurization, which the ensemble prefers
to any rule, so that the guide's hygiene rules win over the intent's rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME,
    USER_INTENT_BACK,
    USER_INTENT_RESTART,
    USER_INTENT_SESSION_START,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.core.policies.policy import Policy, PolicyPrediction

# Rasa's own commands (/restart, /back, /session_start) are never judged.
COMMAND_INTENTS = (USER_INTENT_RESTART, USER_INTENT_BACK, USER_INTENT_SESSION_START)
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_WORD = re.compile(r"[^\W_]", re.UNICODE)


@dataclass
class UserTurn:
    """One user message, the bot actions that answered it and the slots they set."""

    text: str
    intent: Optional[str]
    entities: List[Dict[str, Any]]
    actions: List[str] = field(default_factory=list)
    slots: List[str] = field(default_factory=list)


def user_turns(tracker: DialogueStateTracker) -> List[UserTurn]:
    """The user turns of the current session, oldest first, after reverts and restarts.

    Reads the raw events: `applied_events()` would fold the turns inside a running loop away,
    and those are exactly the turns counted here.
    """
    turns: List[UserTurn] = []
    for event in tracker.events:
        if isinstance(event, (Restarted, SessionStarted)):
            turns = []
        elif isinstance(event, UserUtteranceReverted):
            turns = turns[:-1]
        elif isinstance(event, ActionReverted):
            if turns and turns[-1].actions:
                turns[-1].actions.pop()
        elif isinstance(event, UserUttered):
            turns.append(UserTurn(event.text or "", event.intent_name, list(event.entities or [])))
        elif isinstance(event, ActionExecuted) and turns and event.action_name:
            if event.action_name != ACTION_LISTEN_NAME:
                turns[-1].actions.append(event.action_name)
        elif isinstance(event, SlotSet) and turns and turns[-1].actions:
            turns[-1].slots.append(event.key)
    return turns


def normalized(text: str) -> str:
    """Text without spaces, punctuation and case, for comparing repeated messages."""
    return _PUNCTUATION.sub("", text).lower()


def is_repeated(turns: Sequence[UserTurn], times: int, exempt_intents: Sequence[str]) -> bool:
    """The last `times` messages have the same (non-empty) text and are not short answers."""
    if len(turns) < times or turns[-1].intent in exempt_intents:
        return False
    texts = {normalized(turn.text) for turn in turns[-times:]}
    return len(texts) == 1 and "" not in texts


def unhandled_streak(
    turns: Sequence[UserTurn],
    unhandled_intents: Sequence[str],
    fallback_actions: Sequence[str],
    reset_actions: Sequence[str],
    answered_slot: Optional[str] = None,
    handling_actions: Sequence[str] = (),
) -> int:
    """How many of the latest turns in a row the assistant could not handle.

    A turn is unhandled when its intent is (e.g. nlu_fallback) or a fallback action answered
    it, unless its answer set `answered_slot` after all or a handling action answered it (a
    correction of the request summary read as unsure: the value it named was applied). The
    streak stops at a handled turn and at a turn already answered with a reset action (the human
    channels were offered: start again).
    """
    streak = 0
    for turn in reversed(turns):
        if any(action in reset_actions for action in turn.actions):
            break
        unhandled = turn.intent in unhandled_intents or any(
            action in fallback_actions for action in turn.actions
        )
        handled = answered_slot in turn.slots or any(action in handling_actions for action in turn.actions)
        if not unhandled or handled:
            break
        streak += 1
    return streak


def is_emoji_only(turn: UserTurn, fallback_intent: str, emoji_entity: str) -> bool:
    """NLU found only emoji: an `emoji` entity, the fallback intent and no words in the text."""
    emoji = [entity.get("value") for entity in turn.entities if entity.get("entity") == emoji_entity]
    if turn.intent != fallback_intent or not emoji:
        return False
    rest = turn.text
    for value in emoji:
        rest = rest.replace(str(value), "")
    return not _WORD.search(rest)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True
)
class ConversationHygienePolicy(Policy):
    """Rule-like policy for repeats, three strikes and emoji-only messages (no training)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Thresholds and action names; the defaults follow the guide."""
        return {
            "priority": 7,
            "max_repeats": 3,
            "max_unhandled_turns": 3,
            "unhandled_intents": ["nlu_fallback", "out_of_scope"],
            "fallback_actions": ["action_default_fallback"],
            "repeat_exempt_intents": ["affirm", "deny", "inform", "thank", "goodbye"],
            "fallback_intent": "nlu_fallback",
            "emoji_entity": "emoji",
            "no_flooding_action": "action_no_flooding",
            "offer_human_action": "action_offer_human",
            "ask_in_words_action": "action_ask_in_words",
            # Set by an answer that resolved the turn (a topic was answered).
            "answered_slot": "last_topic",
            # Answers that apply what the message named, whatever its intent.
            "handling_actions": ["action_review_support_request"],
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self._own_actions = [
            config["no_flooding_action"],
            config["offer_human_action"],
            config["ask_in_words_action"],
        ]

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn: the rules are fixed by the guide and the configuration."""
        return self._resource

    def decide(self, tracker: DialogueStateTracker) -> Optional[str]:
        """The action this policy insists on next, or None to let the others decide."""
        config = self.config
        latest_action = tracker.latest_action_name
        if latest_action in self._own_actions or latest_action in config["fallback_actions"]:
            return ACTION_LISTEN_NAME
        if latest_action != ACTION_LISTEN_NAME:
            return None
        if tracker.active_loop_name is not None:
            return None  # a form handles its own answers
        turns = user_turns(tracker)
        if not turns or turns[-1].intent in COMMAND_INTENTS:
            return None
        if is_repeated(turns, config["max_repeats"], config["repeat_exempt_intents"]):
            return config["no_flooding_action"]
        latest = turns[-1]
        streak = unhandled_streak(
            turns,
            config["unhandled_intents"],
            config["fallback_actions"],
            [config["offer_human_action"]],
            config["answered_slot"],
            config["handling_actions"],
        )
        if streak >= config["max_unhandled_turns"]:
            return config["offer_human_action"]
        if is_emoji_only(latest, config["fallback_intent"], config["emoji_entity"]):
            return config["ask_in_words_action"]
        return None

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Certainty for the decided action, or no opinion at all."""
        probabilities = self._default_predictions(domain)
        action = self.decide(tracker)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
