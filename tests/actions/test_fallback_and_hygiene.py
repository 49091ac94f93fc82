"""The core fallback and the hygiene replies (offer humans, no flooding, emoji), in both languages."""
from __future__ import annotations

from typing import Any, Callable

from actions import fallback, hygiene
from tests.actions.conftest import OUT_OF_HOURS, make_tracker

Run = Callable[..., Any]
SELLER_URL = "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"


def text_of(bubbles: Any) -> str:
    return "\n".join(text for text, _ in bubbles)


def test_default_fallback_offers_topics_and_keeps_the_message(run: Run) -> None:
    events, bubbles = run(fallback.ActionDefaultFallback(), make_tracker("unknown_role", "refund"))
    assert events == []  # no UserUtteranceReverted: the turn still counts as unhandled
    assert [payload for _, payload in bubbles[-1][1]] == [
        "/ask_contact_channels",
        "/find_responsible_person",
        "/refund",
        "/start_support_request",
    ]


def test_offer_human_gives_every_buyer_channel_even_those_given_before(run: Run) -> None:
    events, bubbles = run(hygiene.ActionOfferHuman(), make_tracker("after_channels", "out_of_scope"))
    assert events == []
    text = text_of(bubbles)
    assert "「人工客服」" in text and "联系卖家" in text and "service@aliexpress.com" in text
    assert SELLER_URL not in text


def test_offer_human_for_a_seller_out_of_hours(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    events, bubbles = run(hygiene.ActionOfferHuman(), make_tracker("seller_web", "out_of_scope"))
    assert events == []
    assert SELLER_URL in text_of(bubbles) and "明天 9:00 开始服务" in text_of(bubbles)


def test_hygiene_replies_never_touch_a_form(run: Run) -> None:
    tracker = make_tracker("form_active")
    for action in (hygiene.ActionOfferHuman(), hygiene.ActionNoFlooding(), hygiene.ActionAskInWords()):
        assert run(action, tracker)[0] == []


def test_no_flooding_quotes_the_guide(run: Run) -> None:
    events, bubbles = run(hygiene.ActionNoFlooding(), make_tracker("buyer_app", "greet", text="在吗"))
    assert events == []
    assert "标记为无效请求" in bubbles[0][0] and "暂时屏蔽" in bubbles[0][0]
    assert bubbles[0][1] == [("帮我整理问题", "/start_support_request")]


def test_emoji_only_is_asked_for_words(run: Run) -> None:
    tracker = make_tracker("unknown_role", "nlu_fallback", text="😭😭", entities=[{"entity": "emoji", "value": "😭"}])
    events, bubbles = run(hygiene.ActionAskInWords(), tracker)
    assert events == []
    assert "纯表情" in bubbles[0][0] and "文字" in bubbles[0][0]


def test_hygiene_replies_follow_the_conversations_language(run: Run) -> None:
    tracker = make_tracker("unknown_role", "nlu_fallback", text="😭", slots={"language": "en"})
    _, bubbles = run(hygiene.ActionAskInWords(), tracker)
    assert "emoji" in bubbles[0][0]
    _, bubbles = run(hygiene.ActionOfferHuman(), make_tracker("unknown_role", "out_of_scope", text="tell me a joke"))
    assert "human agent" in text_of(bubbles)
