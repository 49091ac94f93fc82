"""policies/hygiene_policy.py on real Rasa trackers: repeats, three strikes, emoji-only, forms."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from policies.hygiene_policy import ConversationHygienePolicy
from tests.support.servers import ROOT

LISTEN = "action_listen"
ANSWER = "action_answer"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


@pytest.fixture(scope="module")
def policy() -> ConversationHygienePolicy:
    config = ConversationHygienePolicy.get_default_config()
    return ConversationHygienePolicy(config, None, Resource("hygiene"), ExecutionContext(GraphSchema({}), "test"))  # type: ignore[arg-type]


def user(text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, entities or [])


def turn(text: str, intent: str, *actions: str, entities: Optional[List[Dict[str, Any]]] = None) -> List[Event]:
    """A user message, the bot actions that answered it, then listening."""
    return [user(text, intent, entities), *[ActionExecuted(name) for name in actions], ActionExecuted(LISTEN)]


def tracker(domain: Domain, *events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("test", [ActionExecuted(LISTEN), *events], domain.slots)


def predicted(policy: ConversationHygienePolicy, domain: Domain, t: DialogueStateTracker) -> Optional[str]:
    prediction = policy.predict_action_probabilities(t, domain)
    if prediction.max_confidence == 0:
        assert not prediction.is_no_user_prediction
        return None
    assert prediction.max_confidence == 1.0 and prediction.is_no_user_prediction
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_third_unsure_turn_after_two_clarify_questions_offers_humans(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("阿巴阿巴", "nlu_fallback", ANSWER),
        *turn("/out_of_scope", "out_of_scope", ANSWER),
        user("呜啦啦", "nlu_fallback"),
    )
    assert predicted(policy, domain, t) == "action_offer_human"


def test_an_unsure_turn_answered_with_a_topic_counts_as_handled(policy, domain) -> None:
    """action_answer resolved "物流不动了" from its words: it recorded the topic."""
    t = tracker(
        domain,
        *turn("阿巴阿巴", "nlu_fallback", ANSWER),
        user("我的物流不动了", "nlu_fallback"),
        ActionExecuted(ANSWER),
        SlotSet("last_topic", "not_received"),
        ActionExecuted(LISTEN),
        *turn("讲个笑话", "out_of_scope", ANSWER),
        user("呜啦啦", "nlu_fallback"),
    )
    assert predicted(policy, domain, t) is None


def test_corrections_of_the_summary_read_as_unsure_count_as_handled(policy, domain) -> None:
    """Each reply named a value the review applied: no strike, however the classifier read it."""
    review = "action_review_support_request"
    t = tracker(
        domain,
        *turn("change the deadline to 3 days", "nlu_fallback", review),
        *turn("change the goal to replacement", "nlu_fallback", review),
        user("make it two weeks", "out_of_scope"),
    )
    assert predicted(policy, domain, t) is None


def test_two_unhandled_turns_are_left_to_the_other_policies(policy, domain) -> None:
    t = tracker(domain, *turn("讲个笑话", "out_of_scope", ANSWER), user("天气怎么样", "out_of_scope"))
    assert predicted(policy, domain, t) is None


def test_three_out_of_scope_turns_offer_humans(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("讲个笑话", "out_of_scope", ANSWER),
        *turn("天气怎么样", "out_of_scope", ANSWER),
        user("股票能涨吗", "out_of_scope"),
    )
    assert predicted(policy, domain, t) == "action_offer_human"


def test_a_core_fallback_counts_as_unhandled(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("退一下那个", "refund", "action_default_fallback"),
        *turn("讲个笑话", "out_of_scope", ANSWER),
        user("啊啊", "nlu_fallback"),
    )
    assert predicted(policy, domain, t) == "action_offer_human"


def test_a_handled_turn_resets_the_count(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("讲个笑话", "out_of_scope", ANSWER),
        *turn("你好", "greet", ANSWER),
        *turn("天气怎么样", "out_of_scope", ANSWER),
        user("股票能涨吗", "out_of_scope"),
    )
    assert predicted(policy, domain, t) is None


def test_counting_starts_again_after_the_offer(policy, domain) -> None:
    offered = [
        *turn("讲个笑话", "out_of_scope", ANSWER),
        *turn("天气怎么样", "out_of_scope", ANSWER),
        *turn("股票能涨吗", "out_of_scope", "action_offer_human"),
    ]
    assert predicted(policy, domain, tracker(domain, *offered, user("唱首歌", "out_of_scope"))) is None
    again = [*offered, *turn("唱首歌", "out_of_scope", ANSWER), *turn("跳个舞", "out_of_scope", ANSWER)]
    assert predicted(policy, domain, tracker(domain, *again, user("画个画", "out_of_scope"))) == "action_offer_human"


def test_the_same_message_three_times_gets_the_no_flooding_advice(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("在吗", "greet", ANSWER),
        *turn("在吗？", "greet", ANSWER),
        user("在 吗", "greet"),
    )
    assert predicted(policy, domain, t) == "action_no_flooding"


def test_repeats_beat_three_strikes(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("讲个笑话", "out_of_scope", ANSWER),
        *turn("讲个笑话", "out_of_scope", ANSWER),
        user("讲个笑话", "out_of_scope"),
    )
    assert predicted(policy, domain, t) == "action_no_flooding"


def test_twice_the_same_or_short_answers_are_not_flooding(policy, domain) -> None:
    twice = tracker(domain, *turn("我要退款", "refund", ANSWER), user("我要退款", "refund"))
    assert predicted(policy, domain, twice) is None
    answers = tracker(domain, *turn("好", "affirm", ANSWER), *turn("好", "affirm", ANSWER), user("好", "affirm"))
    assert predicted(policy, domain, answers) is None


def test_emoji_only_is_asked_for_words(policy, domain) -> None:
    emoji = [{"entity": "emoji", "value": "😭", "start": 0, "end": 1}]
    assert predicted(policy, domain, tracker(domain, user("😭", "nlu_fallback", emoji))) == "action_ask_in_words"
    with_words = tracker(domain, user("东西坏了😭", "nlu_fallback", emoji))
    assert predicted(policy, domain, with_words) is None


def test_inside_a_form_the_form_decides(policy, domain) -> None:
    t = tracker(
        domain,
        *turn("帮我整理问题", "start_support_request", "support_request_form"),
        ActiveLoop("support_request_form"),
        *turn("阿巴", "nlu_fallback", "support_request_form"),
        *turn("阿巴阿巴", "nlu_fallback", "support_request_form"),
        user("呜啦啦", "nlu_fallback"),
    )
    assert predicted(policy, domain, t) is None


def test_after_its_own_action_it_listens(policy, domain) -> None:
    t = tracker(domain, user("在吗", "greet"), ActionExecuted("action_no_flooding"))
    assert predicted(policy, domain, t) == LISTEN


def test_its_prediction_overrules_the_intents_rule(policy, domain) -> None:
    """The ensemble picks it over RulePolicy's rule for the intent (same confidence, lower priority)."""
    size = domain.num_actions
    rule = [0.0] * size
    rule[domain.index_for_action(ANSWER)] = 1.0
    mine = [0.0] * size
    mine[domain.index_for_action("action_offer_human")] = 1.0
    best = DefaultPolicyPredictionEnsemble._pick_best_policy(
        [
            PolicyPrediction(rule, "RulePolicy", 6),
            PolicyPrediction(mine, "ConversationHygienePolicy", policy.priority, is_no_user_prediction=True),
        ]
    )
    assert best.policy_name == "ConversationHygienePolicy"
