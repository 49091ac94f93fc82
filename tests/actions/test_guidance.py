"""action_answer: one table of topics, answered in the context of the conversation.

Assertions are facts of the guide and behaviour (slots set, buttons offered, what is never said),
not whole sentences, so that rewording knowledge/replies.yml stays a data edit.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from actions.conversation import ActionAnswer
from actions.guidance import LADDERS, MAX_BUBBLE
from tests.actions.conftest import BEFORE_OPENING, IN_HOURS, OUT_OF_HOURS, make_tracker

SELLER_URL = "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"
TICKET_PATH = "我的 → 售后服务 → 申请售后"
APP_PATH = "【我的】→【我的订单】"
WEB_PATH = "【Help】→【Customer Service】"
EMAIL = "service@aliexpress.com"
TO_SELLER = '/inform{"role":"seller"}'
TO_BUYER = '/inform{"role":"buyer"}'
FORM = "/start_support_request"
CJK = re.compile(r"[\u4e00-\u9fff]")

Run = Callable[..., Any]


def ask(
    run: Run,
    fixture: str,
    intent: str,
    text: Optional[str] = None,
    *,
    entities: Optional[List[Dict[str, Any]]] = None,
    ranking: Optional[List[str]] = None,
    **slots: Any,
) -> Tuple[Dict[str, Any], List[Tuple[str, List[Tuple[str, str]]]], List[Dict[str, Any]]]:
    """Run action_answer; returns (slots it set, bubbles, other events)."""
    tracker = make_tracker(fixture, intent, text=text, entities=entities, slots=slots)
    if ranking:
        tracker.latest_message["intent_ranking"] = [{"name": name, "confidence": 0.3} for name in ranking]
    events, bubbles = run(ActionAnswer(), tracker)
    slot_values = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    others = [event for event in events if event["event"] != "slot"]
    for text_, _ in bubbles:
        assert len(text_) <= MAX_BUBBLE, text_
    return slot_values, bubbles, others


def text_of(bubbles: List[Any]) -> str:
    return "\n".join(text for text, _ in bubbles)


def payloads(bubbles: List[Any]) -> List[str]:
    return [payload for _, buttons in bubbles for _, payload in buttons]


# --- no gating: the likeliest role at once, a one-tap switch -------------------------------------


def test_an_unknown_user_gets_the_buyer_channels_at_once_with_a_switch(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "ask_contact_channels", "人工客服怎么找啊")
    text = text_of(bubbles)
    assert APP_PATH in text and WEB_PATH in text and "「人工客服」" in text and "联系卖家" in text and EMAIL in text
    assert SELLER_URL not in text
    assert TO_SELLER in payloads(bubbles)
    assert slots["role_assumed"] is True and "role" not in slots
    assert slots["last_topic"] == "ask_contact_channels"
    assert set(slots["channels_given"]) == {"alixiaomi", "order_page", "email"}


def test_a_known_buyer_on_the_app_gets_the_app_path_only_and_no_switch(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "ask_contact_channels")
    assert APP_PATH in text_of(bubbles) and WEB_PATH not in text_of(bubbles)
    assert TO_SELLER not in payloads(bubbles)


def test_a_role_stated_in_the_message_wins_over_the_slot(run: Run) -> None:
    slots, bubbles, _ = ask(run, "seller_web", "request_human", "我是买家，app里怎么找人工客服")
    assert slots["role"] == "buyer"
    assert SELLER_URL not in text_of(bubbles) and "联系卖家" in text_of(bubbles)
    slots, bubbles, _ = ask(run, "unknown_role", "request_human", "我是卖家，怎么找人工客服")
    assert slots["role"] == "seller" and SELLER_URL in text_of(bubbles)


@pytest.mark.parametrize("when, status", [(IN_HOURS, "正在服务时间内"), (OUT_OF_HOURS, "明天 9:00 开始服务")])
def test_seller_desk_with_its_status_in_china_time(run: Run, freeze: Callable[[str], None], when: str, status: str) -> None:
    freeze(when)
    _, bubbles, _ = ask(run, "seller_web", "ask_contact_channels")
    text = text_of(bubbles)
    assert SELLER_URL in text and "向我提问" in text and "9:00–18:00" in text and status in text
    assert TICKET_PATH not in text  # the buyer's 工单 steps are not for sellers


def test_before_opening_the_seller_desk_opens_today(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(BEFORE_OPENING)
    _, bubbles, _ = ask(run, "seller_web", "seller_support")
    text = text_of(bubbles)
    assert "北京时间7:30" in text and "今天 9:00" in text
    assert "还没开始" in text and "1小时30分钟" in text and "已下班" not in text  # not closed: not open yet


def test_how_long_while_the_seller_desk_is_closed_is_the_wait_until_it_opens(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(BEFORE_OPENING)
    _, bubbles, _ = ask(run, "seller_web", "slow_response", "还得等多长时间", last_topic="seller_support")
    text = text_of(bubbles)
    assert "1小时30分钟" in text and "9:00" in text and EMAIL in text
    assert "催办" not in text  # the ticket deadlines are for a reply, not for the desk to open


def test_asking_for_the_seller_desk_marks_an_unknown_user_as_seller(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "seller_support", "卖家后台哪个入口快")
    assert slots["role"] == "seller" and SELLER_URL in text_of(bubbles)


def test_a_role_correction_answers_the_last_topic_again_for_the_new_role(run: Run) -> None:
    seller = [{"entity": "role", "value": "seller"}]
    slots, bubbles, _ = ask(run, "after_channels", "inform", "不对不对，我是卖家，我点错了", entities=seller)
    assert slots["role"] == "seller"
    assert SELLER_URL in text_of(bubbles) and "向我提问" in text_of(bubbles)
    # The same correction classified as something else is still a correction.
    slots, bubbles, _ = ask(run, "after_channels", "deny", "不对不对，我是卖家，我点错了")
    assert slots["role"] == "seller" and SELLER_URL in text_of(bubbles)


def test_the_switch_button_corrects_the_role(run: Run) -> None:
    seller = [{"entity": "role", "value": "seller"}]
    slots, bubbles, _ = ask(run, "after_channels", "inform", TO_SELLER, entities=seller)
    assert slots["role"] == "seller" and SELLER_URL in text_of(bubbles)


# --- follow-ups in context -------------------------------------------------------------------------


def test_at_night_the_hours_say_the_time_now_and_what_to_do(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, bubbles, _ = ask(run, "after_channels", "working_hours", "晚上也能找吗")
    text = text_of(bubbles)
    assert "22:30" in text and "18:00" in text and "明天 9:00" in text and EMAIL in text
    assert "几个小时甚至一天" in text


def test_a_weekend_follow_up_the_nlu_missed_is_answered_about_the_hours(run: Run) -> None:
    slots, bubbles, _ = ask(run, "after_channels", "nlu_fallback", "那周末呢", last_topic="working_hours")
    assert "周六、周日" in text_of(bubbles) and "9:00" in text_of(bubbles)
    assert slots["last_topic"] == "working_hours"


@pytest.mark.parametrize("intent", ["slow_response", "nlu_fallback"])
def test_how_long_after_a_problem_gives_the_guides_times(run: Run, intent: str) -> None:
    _, bubbles, _ = ask(run, "buyer_app", intent, "要多久？", last_topic="refund")
    text = text_of(bubbles)
    for fact in ("几个小时甚至一天", "24小时", "催办", "48小时", "消费者保护中心", "72小时"):
        assert fact in text


def test_how_long_an_email_takes(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "email_support", "邮件一般多久回", last_topic="email_support")
    assert "几个小时甚至一天" in text_of(bubbles)


@pytest.mark.parametrize(
    "topic, fact",
    [("email_support", EMAIL), ("refund", TICKET_PATH), ("file_complaint", "消费者保护中心"), ("ask_contact_channels", APP_PATH)],
)
def test_where_is_answered_about_the_last_topic(run: Run, topic: str, fact: str) -> None:
    slots, bubbles, _ = ask(run, "buyer_app", "nlu_fallback", "在哪", last_topic=topic)
    assert fact in text_of(bubbles)
    assert slots["last_topic"] == topic


def test_asking_for_channels_again_gives_only_what_is_new(run: Run) -> None:
    slots, bubbles, _ = ask(run, "after_channels", "ask_contact_channels", "还有别的入口吗")
    assert TICKET_PATH in text_of(bubbles)
    assert APP_PATH not in text_of(bubbles)
    assert "ticket" in slots["channels_given"]


def test_the_previous_bubble_is_never_sent_again_word_for_word(run: Run) -> None:
    first_slots, first, _ = ask(run, "buyer_app", "request_human")
    tracker = make_tracker("buyer_app", "request_human")
    tracker.events.extend(
        [{"event": "bot", "text": text} for text, _ in first]
        + [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "/request_human", "parse_data": {}}]
    )
    _, again = run(ActionAnswer(), tracker)
    assert again and not {text for text, _ in again} & {text for text, _ in first}


# --- dissatisfaction: the escalation ladder ---------------------------------------------------------


@pytest.mark.parametrize("fixture, role", [("buyer_app", "buyer"), ("seller_web", "seller")])
def test_not_helpful_walks_the_ladder_without_repeating_then_offers_the_form(run: Run, fixture: str, role: str) -> None:
    given: List[str] = []
    seen: List[str] = []
    for _ in LADDERS[role]:
        slots, bubbles, _ = ask(run, fixture, "not_helpful", "还是不行", channels_given=list(given), last_topic="not_helpful")
        assert text_of(bubbles) not in seen
        seen.append(text_of(bubbles))
        new = [item for item in slots["channels_given"] if item not in given]
        assert len(new) == 1 and new[0] in LADDERS[role]
        given = slots["channels_given"]
    assert given == list(LADDERS[role])
    slots, bubbles, _ = ask(run, fixture, "not_helpful", "还是不行", channels_given=given, last_topic="not_helpful")
    assert FORM in payloads(bubbles) and slots["awaiting"] == "form"


def test_the_buyer_ladder_follows_the_guide(run: Run) -> None:
    facts = {
        "alixiaomi": "「人工客服」",
        "order_page": "联系客服",
        "ticket": TICKET_PATH,
        "chase": "催办",
        "consumer_protection": "消费者保护中心",
        "email": EMAIL,
    }
    given: List[str] = []
    for step in LADDERS["buyer"]:
        _, bubbles, _ = ask(run, "buyer_app", "not_helpful", "没用", channels_given=list(given), last_topic="refund")
        assert facts[step] in text_of(bubbles), step
        given.append(step)


def test_a_ladder_step_already_given_by_an_answer_is_skipped(run: Run) -> None:
    slots, bubbles, _ = ask(run, "after_channels", "not_helpful", "没用，这些我早就试过了")
    assert TICKET_PATH in text_of(bubbles) and APP_PATH not in text_of(bubbles)
    assert slots["ladder_step"] == LADDERS["buyer"].index("ticket") + 1


@pytest.mark.parametrize("intent", ["deny", "goodbye", "nlu_fallback"])
def test_giving_up_after_an_unsolved_problem_is_not_a_goodbye(run: Run, intent: str) -> None:
    _, bubbles, _ = ask(run, "buyer_app", intent, "那算了", last_topic="not_helpful", channels_given=["alixiaomi"])
    assert "再见" not in text_of(bubbles)
    assert "联系客服" in text_of(bubbles)  # the next step: the order page


def test_anger_before_any_answer_is_acknowledged_and_asked_about(run: Run) -> None:
    for intent in ("not_helpful", "out_of_scope", "nlu_fallback"):
        _, bubbles, _ = ask(run, "unknown_role", intent, "什么破平台，买点东西怎么这么费劲")
        assert "抱歉" in text_of(bubbles) and "？" in text_of(bubbles)
        assert "/ask_contact_channels" in payloads(bubbles)


def test_what_next_after_a_problem_is_the_next_step(run: Run) -> None:
    slots, bubbles, _ = ask(run, "buyer_app", "nlu_fallback", "照片都拍好了，接下来呢", last_topic="damaged_item", channels_given=["ticket", "chase", "consumer_protection"])
    assert TICKET_PATH in text_of(bubbles) and "上传凭证" in text_of(bubbles)  # where to submit it
    slots, bubbles, _ = ask(run, "buyer_app", "not_helpful", "还是不行", last_topic="damaged_item", channels_given=["ticket", "chase", "consumer_protection"])
    assert EMAIL in text_of(bubbles) and slots["last_topic"] == "not_helpful"  # after the 工单 steps: e-mail with evidence


def test_a_goodbye_after_small_talk_is_a_goodbye(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "goodbye", "拜拜")
    assert "再见" in text_of(bubbles)


# --- problems: buyers get the 工单, sellers the seller desk ------------------------------------------


@pytest.mark.parametrize(
    "intent, evidence",
    [
        ("refund", ["订单号", "截图", "物流单号", "商品照片"]),
        ("not_received", ["未收到货", "物流单号", "物流页面截图"]),
        ("damaged_item", ["商品破损", "商品照片"]),
        ("ticket_followup", ["工单编号", "工单页面"]),
        ("file_complaint", ["正式投诉", "订单号"]),
    ],
)
def test_a_buyers_problem_gets_the_ticket_evidence_timeline_and_form(run: Run, intent: str, evidence: List[str]) -> None:
    slots, bubbles, _ = ask(run, "buyer_app", intent)
    text = text_of(bubbles)
    assert TICKET_PATH in text
    for fact in [*evidence, "24小时", "催办", "48小时", "消费者保护中心", "72小时"]:
        assert fact in text
    assert FORM in payloads(bubbles) and slots["awaiting"] == "form"
    assert "卖家中心" not in text and SELLER_URL not in text


@pytest.mark.parametrize("text", ["买家恶意退款怎么申诉", "我是卖家，买家说没收到货要退款"])
def test_a_sellers_dispute_gets_the_seller_desk_not_the_buyer_steps(run: Run, text: str) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "refund", text)
    shown = text_of(bubbles)
    assert SELLER_URL in shown and "向我提问" in shown
    assert TICKET_PATH not in shown and "未收到货" not in shown
    assert slots["role"] == "seller"


def test_responsible_person_per_role(run: Run) -> None:
    _, seller, _ = ask(run, "seller_web", "find_responsible_person")
    assert seller[0][0].split("\n")[1].startswith("① 卖家中心")
    for fixture in ("buyer_app", "unknown_role"):
        _, buyer, _ = ask(run, fixture, "find_responsible_person")
        assert "卖家中心" not in text_of(buyer) and "联系我们" in text_of(buyer)
        assert "占位" in text_of(buyer)


def test_account_security_uses_every_channel_with_the_urgent_subject(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "account_security")
    assert EMAIL in text_of(bubbles) and "「紧急」" in text_of(bubbles) and FORM in payloads(bubbles)


# --- direct answers --------------------------------------------------------------------------------


def test_no_official_phone_number_is_published(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "ask_contact_channels", "速卖通客服有电话吗")
    assert "没有公布官方客服电话" in text_of(bubbles)
    assert APP_PATH in text_of(bubbles)


def test_other_platforms_are_declined_politely(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "request_human", "淘宝的人工客服怎么找")
    assert "淘宝" in text_of(bubbles) and "速卖通" in text_of(bubbles)
    assert "9:00" not in text_of(bubbles) and SELLER_URL not in text_of(bubbles)
    assert slots["last_topic"] == "other_platform"  # so that "那速卖通呢" is the same question about AliExpress
    slots, bubbles, _ = ask(run, "unknown_role", "nlu_fallback", "那速卖通上呢", last_topic="other_platform")
    assert slots["last_topic"] == "request_human" and "人工客服" in text_of(bubbles)


def test_the_assistant_says_what_it_cannot_do_and_where_the_user_can(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "request_human", "你能帮我转人工吗")
    text = text_of(bubbles)
    assert "没法" in text and "「人工客服」" in text and "催办" in text and "我的 → 我的订单" in text


def test_a_leaked_contact_table_is_not_real(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "find_responsible_person", "网上流传的联系方式表是真的吗")
    assert "不是真实联系方式" in text_of(bubbles)


def test_the_urgent_subject_line(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "email_support", "紧急邮件主题怎么写")
    assert "主题" in text_of(bubbles) and "「紧急」" in text_of(bubbles)


def test_money_sent_after_a_scam_warning(run: Run) -> None:
    for intent in ("nlu_fallback", "scam_check", "refund"):
        slots, bubbles, _ = ask(run, "buyer_app", intent, "我已经转了200怎么办", last_topic="scam_check")
        text = text_of(bubbles)
        for fact in ("110", "96110", "银行", "紧急", EMAIL, "停止"):
            assert fact in text, (intent, fact)
        assert slots["last_topic"] == "scam_paid"


# --- English ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "intent, text, facts",
    [
        ("request_human", "How can I talk to a human agent?", ["人工客服", "Help"]),
        ("ask_contact_channels", "how do I contact customer service on the website", ["Customer Service"]),
        ("email_support", "what is the support email", [EMAIL]),
        ("seller_support", "I'm a seller, where is the seller desk", [SELLER_URL]),
        ("refund", "I want a refund", ["ticket", "72"]),
        ("not_received", "my package never arrived", ["not received"]),
        ("damaged_item", "the item arrived broken", ["damaged"]),
        ("ticket_followup", "nobody handles my ticket", ["ticket"]),
        ("scam_check", "someone offers an internal channel, is it a scam", ["internal channel"]),
    ],
)
def test_english_messages_get_english_answers(run: Run, intent: str, text: str, facts: List[str]) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", intent, text)
    shown = text_of(bubbles)
    assert slots["language"] == "en"
    for fact in facts:
        assert fact in shown
    # Chinese only inside UI labels quoted in brackets or quotes.
    assert not CJK.search(re.sub(r"[（(「\"“][^)）」\"”]*[)）」\"”]", "", shown)), shown


def test_the_language_is_kept_for_the_conversation(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "refund", "/refund", language="en")
    assert "ticket" in text_of(bubbles)
    slots, bubbles, _ = ask(run, "unknown_role", "refund", "我要退款", language="en")
    assert slots["language"] == "zh" and "工单" in text_of(bubbles)


def test_pinyin_is_not_english(run: Run) -> None:
    slots, _, _ = ask(run, "unknown_role", "request_human", "rengong kefu zai nali")
    assert slots.get("language", "zh") == "zh"


# --- unsure understanding ----------------------------------------------------------------------------


def test_unsure_offers_the_likeliest_topics_and_none_of_these(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unsure", "nlu_fallback", "钱的事情怎么弄", ranking=["nlu_fallback", "greet", "refund", "not_received", "working_hours", "email_support"])
    offered = payloads(bubbles)
    assert offered == ["/refund", "/not_received", "/working_hours", "/out_of_scope"]
    assert slots["awaiting"] == "clarify" and "last_topic" not in slots


@pytest.mark.parametrize(
    "text, fact",
    [("我的物流好几天不动了气死了", "未收到货"), ("东西到了就坏了怎么搞", "商品破损"), ("钱一直没到账，退款呢", "退款")],
)
def test_a_clear_problem_word_takes_that_problems_path(run: Run, text: str, fact: str) -> None:
    slots, bubbles, _ = ask(run, "unsure", "nlu_fallback", text, ranking=["nlu_fallback", "greet"])
    assert fact in text_of(bubbles) and TICKET_PATH in text_of(bubbles)
    assert slots["last_topic"] in ("not_received", "damaged_item", "refund")


def test_none_of_these_asks_to_rephrase_then_offers_the_human_channels(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unsure", "out_of_scope", "/out_of_scope", awaiting="clarify")
    assert "换个说法" in text_of(bubbles) and slots["awaiting"] == "rephrase"
    # Not understood a third time, even when the NLU took the mumble for a yes: the human channels.
    for intent in ("nlu_fallback", "affirm"):
        slots, bubbles, _ = ask(run, "unsure", intent, "咕噜咕噜", awaiting="rephrase")
        assert "「人工客服」" in text_of(bubbles) and "联系卖家" in text_of(bubbles)
        assert slots["awaiting"] is None


# --- small talk, thanks, the form offer ---------------------------------------------------------------


@pytest.mark.parametrize("intent", ["thank", "affirm"])
def test_thanks_get_a_short_warm_closing_without_a_menu(run: Run, intent: str) -> None:
    _, bubbles, _ = ask(run, "buyer_app", intent, "好的明白了，谢谢", last_topic="ask_contact_channels")
    assert len(bubbles) == 1 and len(bubbles[0][0]) <= 60 and not bubbles[0][1]


def test_a_typed_yes_to_the_form_offer_starts_the_form(run: Run) -> None:
    slots, bubbles, others = ask(run, "buyer_app", "affirm", "好的", awaiting="form")
    assert others == [{"event": "followup", "timestamp": None, "name": "support_request_form"}]
    assert slots["awaiting"] is None and not bubbles
    _, _, others = ask(run, "buyer_app", "affirm", "好的", last_topic="ask_contact_channels")
    assert others == []


def test_an_order_number_outside_the_form_offers_the_form(run: Run) -> None:
    order = [{"entity": "order_id", "value": "8123456789012345"}]
    slots, bubbles, _ = ask(run, "buyer_app", "inform", "订单号8123456789012345", entities=order)
    assert FORM in payloads(bubbles) and slots["awaiting"] == "form"


def test_greeting_offers_the_topics(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "greet", "你好")
    assert "/ask_contact_channels" in payloads(bubbles)


# --- understanding in context where the classifier reads the wrong intent -------------------------


def test_a_first_message_read_as_not_helpful_gets_the_answer_to_its_problem(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "not_helpful", "杯子寄到的时候已经碎成好几块了")
    assert TICKET_PATH in text_of(bubbles) and "照片" in text_of(bubbles)


def test_a_seller_asking_for_the_desk_about_a_dispute_gets_the_evidence_too(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "seller_support", "我是卖家，买家收了货又要退款，找哪里")
    shown = text_of(bubbles)
    assert SELLER_URL in shown and "聊天记录" in shown and TICKET_PATH not in shown


def test_the_subject_line_of_a_mail_is_answered_with_the_address_and_the_urgent_keyword(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "communication_tips", "给客服写邮件，主题怎么写能快点")
    assert EMAIL in text_of(bubbles) and "紧急" in text_of(bubbles)


@pytest.mark.parametrize("text", ["截图可以一起发过去吗", "怎样让他们优先处理"])
def test_after_the_email_answer_attachments_and_speed_stay_on_the_email(run: Run, text: str) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "nlu_fallback", text, last_topic="email_support", channels_given=["email"])
    assert EMAIL in text_of(bubbles)
    if "优先" in text:
        assert "紧急" in text_of(bubbles)


def test_how_to_tell_the_platform_after_paying_a_scammer_stays_on_the_emergency(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "file_complaint", "要跟速卖通怎么讲", last_topic="scam_paid")
    assert "96110" in text_of(bubbles) and "紧急" in text_of(bubbles)


def test_a_vague_message_offers_topics_and_none_of_these(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "out_of_scope", "有个事想问问怎么办", ranking=["out_of_scope", "refund", "not_received"])
    assert "/refund" in payloads(bubbles) and "/out_of_scope" in payloads(bubbles)


def test_what_to_do_first_while_the_desk_is_closed_is_what_to_prepare(run: Run) -> None:
    _, bubbles, _ = ask(run, "seller_web", "out_of_scope", "等开门之前我先做什么", last_topic="seller_support")
    assert "准备" in text_of(bubbles)


def test_a_long_no_to_nothing_asked_is_answered_as_off_topic(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "deny", "后天冷不冷你清楚不")
    assert "速卖通" in text_of(bubbles) and "/ask_contact_channels" in payloads(bubbles)


def test_toneless_maijia_after_a_buyer_answer_is_read_as_seller_with_a_switch_back(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "nlu_fallback", "wo shi maijia a", last_topic="request_human", role_assumed=True)
    assert SELLER_URL in text_of(bubbles) and TO_BUYER in payloads(bubbles)
    assert slots["role"] == "seller"


# --- call-back, evidence, own store, scams, resignation, entry asked again ------------------------


def test_call_back_is_said_to_be_unavailable_and_the_online_ways_follow(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "slow_response", "客服能给我回个电话吗")
    text = text_of(bubbles)
    assert "回电" in text and "阿里小蜜" in text and EMAIL in text


def test_photos_go_into_the_ticket_or_an_email_for_buyers_and_to_the_desk_for_sellers(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "out_of_scope", "照片往哪传给客服")
    text = text_of(bubbles)
    assert TICKET_PATH in text and "上传" in text and EMAIL in text
    _, bubbles, _ = ask(run, "unknown_role", "nlu_fallback", "我是卖家，纠纷的截图传到哪里")
    text = text_of(bubbles)
    assert SELLER_URL in text and EMAIL in text and TICKET_PATH not in text


def test_own_store_details_are_changed_in_the_seller_center_even_without_a_role_word(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "ask_contact_channels", "我们店的联系电话去哪改")
    text = text_of(bubbles)
    assert "卖家中心" in text and "我的店铺" in text and "没有公布" not in text


def test_a_store_contact_asked_in_english_is_answered_in_english_without_the_seller_center(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "find_responsible_person", "how do I find the contact person of a store")
    text = text_of(bubbles)
    assert "Contact us" in text and "Seller Center" not in text
    assert len(CJK.findall(text)) < len(text) / 5


def test_knowing_the_order_number_proves_nothing(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "scam_check", "他知道我的订单号，让我加微信退款")
    text = text_of(bubbles)
    assert "订单号" in text and "验证码" in text and "阿里小蜜" in text
    assert slots["last_topic"] == "scam_check"


def test_police_after_a_scam_gives_110_and_96110(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "ask_contact_channels", "报警打哪个", last_topic="scam_paid")
    text = text_of(bubbles)
    assert "110" in text and "96110" in text and "银行" in text


def test_resigned_after_the_ladder_says_what_is_left_then_closes_without_offering_again(run: Run) -> None:
    used_up = list(LADDERS["buyer"])
    slots, bubbles, _ = ask(run, "unknown_role", "affirm", "好吧", last_topic="not_helpful", channels_given=used_up, awaiting="form")
    text = text_of(bubbles)
    assert "催办" in text and "消费者保护中心" in text
    assert not payloads(bubbles)
    assert "closed" in slots["channels_given"]
    _, bubbles, _ = ask(run, "unknown_role", "deny", "算了", last_topic="not_helpful", channels_given=slots["channels_given"])
    assert not payloads(bubbles) and "催办" not in text_of(bubbles) and "再见" not in text_of(bubbles)


def test_a_yes_to_the_form_after_one_answer_is_still_a_yes(run: Run) -> None:
    _, _, others = ask(run, "unknown_role", "affirm", "好吧", last_topic="refund", channels_given=["ticket", "chase", "consumer_protection"], awaiting="form")
    assert any(event.get("name") == "support_request_form" for event in others)


def test_the_entry_asked_for_again_is_said_step_by_step_with_button_positions(run: Run) -> None:
    slots, first, _ = ask(run, "unknown_role", "nlu_fallback", "在哪", last_topic="ask_contact_channels", channels_given=["alixiaomi", "order_page", "email"])
    _, second, _ = ask(run, "unknown_role", "nlu_fallback", "还是找不到 在哪个位置", last_topic="ask_contact_channels", channels_given=slots["channels_given"])
    assert "右下角" in text_of(second) and "右上角" in text_of(second)
    assert text_of(second) != text_of(first)


def test_past_48_hours_on_a_ticket_gives_the_consumer_protection_center(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "inform", "都48小时了还不处理", last_topic="refund", channels_given=["ticket"])
    text = text_of(bubbles)
    assert "消费者保护中心" in text and "72" in text
