"""Two-stage fallback steps in Chinese and the hygiene replies (offer humans, no flooding, emoji)."""
from __future__ import annotations

from typing import Any, Callable

from actions import fallback, hygiene
from tests.actions.conftest import OUT_OF_HOURS, make_tracker

Run = Callable[..., Any]
CLOSE_LOOP = {"event": "active_loop", "name": None, "timestamp": None}
TOPIC_BUTTONS = [
    ("联系人工客服", "/ask_contact_channels"),
    ("查关联负责人", "/find_responsible_person"),
    ("退款/售后", "/refund"),
    ("帮我整理问题", "/start_support_request"),
]
REPHRASE = "抱歉，我没太明白。能换个说法，具体说说遇到了什么问题吗？（如「我要申请退款」「订单未收到货」）"


def test_affirmation_asks_about_the_likeliest_real_intent(run: Run) -> None:
    events, bubbles = run(fallback.ActionDefaultAskAffirmation(), make_tracker("two_stage_fallback"))
    assert events == []
    assert bubbles == [("您是想问「退款/退货」吗？", [("是的", "/refund"), ("都不是", "/out_of_scope")])]


def test_affirmation_skips_small_talk_candidates(run: Run) -> None:
    tracker = make_tracker("two_stage_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "greet", "confidence": 0.4},
        {"name": "working_hours", "confidence": 0.3},
    ]
    _, bubbles = run(fallback.ActionDefaultAskAffirmation(), tracker)
    assert bubbles == [("您是想问「客服工作时间」吗？", [("是的", "/working_hours"), ("都不是", "/out_of_scope")])]


def test_affirmation_without_a_real_candidate_asks_to_rephrase(run: Run) -> None:
    tracker = make_tracker("two_stage_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "out_of_scope", "confidence": 0.3},
        {"name": "affirm", "confidence": 0.1},
    ]
    assert run(fallback.ActionDefaultAskAffirmation(), tracker) == ([], [(REPHRASE, [])])


def test_rephrase(run: Run) -> None:
    assert run(fallback.ActionDefaultAskRephrase(), make_tracker("two_stage_fallback")) == ([], [(REPHRASE, [])])


def test_default_fallback_offers_topics_and_keeps_the_message(run: Run) -> None:
    events, bubbles = run(fallback.ActionDefaultFallback(), make_tracker("unknown_role", "refund"))
    assert events == []  # no UserUtteranceReverted: the turn still counts as unhandled
    assert bubbles == [("抱歉，我还是没能理解。您可以选择下面的常见问题：", TOPIC_BUTTONS)]


def test_offer_human_closes_the_two_stage_fallback(run: Run) -> None:
    events, bubbles = run(hygiene.ActionOfferHuman(), make_tracker("two_stage_fallback"))
    assert events == [CLOSE_LOOP]
    assert bubbles[0][0].startswith("看来我没能帮上忙，建议直接联系人工客服：\n阿里小蜜（App）：")
    assert "对话中输入「人工客服」即可转人工。" in bubbles[0][0]
    assert "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm" in bubbles[1][0]


def test_offer_human_for_a_seller_out_of_hours(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    events, bubbles = run(hygiene.ActionOfferHuman(), make_tracker("seller_web", "out_of_scope"))
    assert events == []
    assert bubbles[0] == ("看来我没能帮上忙，建议直接联系人工客服：", [])
    assert "卖家客服已下班，明天 9:00 开始服务" in bubbles[1][0]


def test_hygiene_replies_never_close_a_form(run: Run) -> None:
    tracker = make_tracker("form_active")
    for action in (hygiene.ActionOfferHuman(), hygiene.ActionNoFlooding(), hygiene.ActionAskInWords()):
        assert run(action, tracker)[0] == []


def test_no_flooding_quotes_the_guide(run: Run) -> None:
    events, bubbles = run(hygiene.ActionNoFlooding(), make_tracker("buyer_app", "greet", text="在吗"))
    assert events == []
    assert bubbles == [
        (
            "同一个问题请不要连续发送：同一问题多次发送会被标记为无效请求，导致延迟响应甚至暂时屏蔽；"
            "首次提问尽量完整，有补充再留言。",
            [("帮我整理问题", "/start_support_request")],
        )
    ]


def test_emoji_only_is_asked_for_words(run: Run) -> None:
    tracker = make_tracker("unknown_role", "nlu_fallback", text="😭😭", entities=[{"entity": "emoji", "value": "😭"}])
    events, bubbles = run(hygiene.ActionAskInWords(), tracker)
    assert events == []
    assert bubbles == [
        (
            "收到您的表情了。不过客服系统主要靠文字识别，纯表情容易被过滤。请用文字描述遇到的问题，比如「订单未收到货」。",
            [],
        )
    ]
