"""action_answer on the second turn and on first turns the NLU misreads: money sent after a scam
warning, follow-ups without an answer in the context (a sample, what if nobody answers, part-way
along the path), sellers' disputes inside a long story, buyers at night, "are you a robot".

Assertions are facts of the guide and behaviour, not sentences.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest

from actions.guidance import LADDERS
from actions.understanding import has_cue, problem_among, problem_named, says_scam_paid, tried_steps, waited_minutes
from tests.actions.conftest import OUT_OF_HOURS
from tests.actions.test_guidance import EMAIL, FORM, SELLER_URL, TICKET_PATH, TO_SELLER, ask, payloads, text_of

Run = Callable[..., Any]


@pytest.mark.parametrize(
    "text", ["押金我刚交了三百块", "他说要交解冻费，我已经转过去了", "付了定金", "I paid her 80 euros yesterday", "sent them the money"]
)
def test_money_sent_after_a_scam_warning_gets_the_emergency_steps(run: Run, text: str) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "nlu_fallback", text, last_topic="scam_check")
    said = text_of(bubbles)
    assert slots["last_topic"] == "scam_paid"
    assert "110" in said and "96110" in said and EMAIL in said


@pytest.mark.parametrize("text", ["客服都转不了人工", "我交了工单还没人理"])
def test_money_cues_need_a_payment(text: str) -> None:
    assert not has_cue(text, "scam_paid")


@pytest.mark.parametrize("text, paid", [("对方要我先充1000保证金", False), ("他叫我交300块手续费，我已经交了", True), ("银行卡号和密码我都输进去了", True)])
def test_a_payment_only_demanded_is_not_a_payment_made(text: str, paid: bool) -> None:
    assert says_scam_paid(text) is paid


@pytest.mark.parametrize("text", ["有条短信说订单能退款，要我点开链接填卡号", "说能帮我催退款，但得先交手续费"])
def test_a_scam_lure_is_warned_about_whatever_else_the_message_names(run: Run, text: str) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "refund", text)
    said = text_of(bubbles)
    assert slots["last_topic"] == "scam_check" and "诈骗" in said and TICKET_PATH not in said


def test_the_problem_word_that_ends_latest_wins() -> None:
    assert problem_named("有人说是速卖通海关专员要我交税") == "scam_check"
    rant = "买家收到货说是假货要全额退款，我都不知道该找谁，上次找客服等了半天"
    assert problem_named(rant) == "request_human"
    assert problem_among(rant, ("refund", "damaged_item")) == "refund"


def test_a_sellers_story_with_a_buyer_dispute_gets_the_dispute_answer(run: Run) -> None:
    text = "我是卖家，买家收到货非说是假货，还申请了退款，平台这边我该找谁"
    slots, bubbles, _ = ask(run, "unknown_role", "seller_support", text)
    said = text_of(bubbles)
    assert SELLER_URL in said and "聊天记录" in said
    assert slots["last_topic"] in ("refund", "damaged_item")


def test_a_buyers_problem_at_night_has_the_time_now_and_no_seller_hours(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, bubbles, _ = ask(run, "unknown_role", "working_hours", "这么晚还有人工吗，收到的东西碎了")
    said = text_of(bubbles)
    assert TICKET_PATH in said and "22:30" in said
    assert SELLER_URL not in said and "18:00" not in said


def test_a_known_buyer_asking_the_hours_gets_no_seller_desk(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, bubbles, _ = ask(run, "buyer_app", "working_hours", "现在还有人吗")
    said = text_of(bubbles)
    assert "22:30" in said and "18:00" not in said and SELLER_URL not in said


def test_a_seller_asking_whether_anyone_is_there_gets_the_desk_status(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, bubbles, _ = ask(run, "seller_web", "nlu_fallback", "现在还有人吗", last_topic="find_responsible_person")
    said = text_of(bubbles)
    assert "9:00" in said and "22:30" in said and "下班" in said


def test_a_sample_of_the_request_after_the_tips(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "out_of_scope", "能举个例子吗", last_topic="communication_tips")
    assert "订单#" in text_of(bubbles) and FORM in payloads(bubbles)
    assert slots["awaiting"] == "form"


def test_what_if_nobody_answers_gives_the_deadlines(run: Run) -> None:
    given = ["ticket", "chase", "consumer_protection"]
    _, bubbles, _ = ask(run, "unknown_role", "nlu_fallback", "万一提交了也没人理呢", last_topic="not_received", channels_given=given)
    said = text_of(bubbles)
    assert "催办" in said and "24" in said and "48" in said and "消费者保护中心" in said


def test_part_way_along_the_path_gets_the_steps(run: Run) -> None:
    given = ["alixiaomi", "order_page", "email"]
    _, bubbles, _ = ask(run, "unknown_role", "not_helpful", "我点开了我的 然后呢", last_topic="ask_contact_channels", channels_given=given)
    said = text_of(bubbles)
    assert "我的订单" in said and "联系客服" in said


def test_how_do_i_do_it_after_a_problem_gives_the_ticket_path(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "out_of_scope", "怎么弄 我不会", last_topic="damaged_item", channels_given=["ticket"])
    assert TICKET_PATH in text_of(bubbles)


def test_how_to_reach_a_real_person_read_as_a_bot_question_gets_the_ways(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "bot_challenge", "How can I talk to a real person?")
    assert "My Orders" in text_of(bubbles) and TO_SELLER in payloads(bubbles)
    assert slots["last_topic"] == "request_human"


def test_are_you_a_robot_after_the_ways_says_so_then_the_next_way(run: Run) -> None:
    given = ["alixiaomi", "order_page"]
    slots, bubbles, _ = ask(run, "unknown_role", "bot_challenge", "那你是机器人吗", last_topic="bot_not_transferring", channels_given=given)
    said = text_of(bubbles)
    assert "智能助手" in said and TICKET_PATH in said


def test_transfer_me_yourself_is_declined_with_where_to_do_it(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "refund", "你直接给我接过去不就完了", last_topic="request_human")
    said = text_of(bubbles)
    assert "没法" in said and "人工客服" in said and TICKET_PATH in said


def test_thanks_while_going_to_complain_is_a_closing(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "file_complaint", "行吧我去投诉 谢了", last_topic="ticket_followup")
    assert len(bubbles) == 1 and not payloads(bubbles)


def test_what_can_you_do_offers_the_request(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "out_of_scope", "那你还能帮我干点啥", last_topic="not_helpful")
    assert FORM in payloads(bubbles) and slots["awaiting"] == "form"


def test_the_robot_tips_come_once_before_the_ladder(run: Run) -> None:
    given = ["alixiaomi", "order_page", "email"]
    slots, bubbles, _ = ask(run, "unknown_role", "bot_not_transferring", "小蜜试过了就是不转", last_topic="ask_contact_channels", channels_given=given)
    assert "3次" in text_of(bubbles) and "not_transferring" in slots["channels_given"]
    given.append("not_transferring")
    slots, bubbles, _ = ask(run, "unknown_role", "bot_not_transferring", "还是不转", last_topic="bot_not_transferring", channels_given=given)
    assert TICKET_PATH in text_of(bubbles)


def test_a_private_phone_asked_for_gets_the_privacy_rule(run: Run) -> None:
    _, bubbles, _ = ask(run, "seller_web", "ask_contact_channels", "买家总问我要个人微信，能给吗")
    said = text_of(bubbles)
    assert "官方平台内" in said and "1234567890" not in said


def test_a_dispute_read_from_a_sellers_story_makes_the_user_a_seller(run: Run) -> None:
    slots, _, _ = ask(run, "unknown_role", "seller_support", "做代发的，买家说一直没收到货，想问平台物流异常怎么处理")
    assert slots["role"] == "seller"


def test_why_not_after_what_the_assistant_cannot_do_says_why_and_who_can(run: Run) -> None:
    slots, _, _ = ask(run, "buyer_app", "request_human", "你能不能直接把我转给人工")
    assert slots["awaiting"] == "why_not"
    _, bubbles, _ = ask(run, "buyer_app", "nlu_fallback", "这也不行？为啥不能", last_topic="request_human", awaiting="why_not")
    said = text_of(bubbles)
    assert "人工客服" in said and "联系卖家" in said and "您是想问" not in said


def test_a_long_wait_in_the_queue_gets_the_queue_tips(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "slow_response", "转到人工了但是排了半天还没轮到", last_topic="request_human")
    said = text_of(bubbles)
    assert "骚扰" in said and "高峰" in said and "催办" in said


def test_an_unanswered_email_gets_the_channels_to_use_meanwhile(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "not_helpful", "发了邮件到现在都没人理", last_topic="email_support", channels_given=["email"])
    said = text_of(bubbles)
    assert "人工客服" in said and "消费者保护中心" in said and "催办" in said


def test_a_chased_ticket_that_stays_silent_goes_to_consumer_protection(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "not_helpful", "催过了，一点动静都没有", last_topic="ticket_followup", channels_given=["ticket", "chase"])
    assert "消费者保护中心" in text_of(bubbles)


def test_after_the_seller_desk_what_to_do_on_its_page(run: Run) -> None:
    _, bubbles, _ = ask(run, "seller_web", "nlu_fallback", "打开那个页面以后呢", last_topic="seller_support", channels_given=["seller_desk"])
    said = text_of(bubbles)
    assert "向我提问" in said and "右下角" in said


@pytest.mark.parametrize("intent", ["not_received", "nlu_fallback"])
def test_more_about_a_scam_lure_is_not_read_as_a_parcel_problem(run: Run, intent: str) -> None:
    _, bubbles, _ = ask(run, "buyer_app", intent, "我就打开看了一眼，啥也没输", last_topic="scam_check")
    said = text_of(bubbles)
    assert "密码" in said and "96110" in said and TICKET_PATH not in said


def test_a_whole_request_read_as_inform_starts_the_form(run: Run) -> None:
    entities = [{"entity": "order_id", "value": "8123456789012345"}, {"entity": "request_goal", "value": "要求退款"}]
    _, bubbles, others = ask(run, "buyer_app", "inform", "订单8123456789012345，要退款，三天内", entities=entities)
    assert {"event": "followup", "name": "support_request_form"} in [{k: e.get(k) for k in ("event", "name")} for e in others]
    assert bubbles == []


def test_a_correction_from_seller_to_buyer_drops_the_seller_desk(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "inform", "搞错了，我是买家，我申请的退款卖家一直拖着", last_topic="seller_support", role="seller", role_assumed=False)
    said = text_of(bubbles)
    assert SELLER_URL not in said and ("退款" in said or TICKET_PATH in said)


def test_a_story_naming_another_platform_in_passing_is_answered_for_aliexpress(run: Run) -> None:
    slots, bubbles, _ = ask(run, "unknown_role", "seller_support", "以前在拼多多开店，刚转来速卖通，卖家这边找平台客服在哪")
    assert slots.get("last_topic") != "other_platform" and SELLER_URL in text_of(bubbles)


def test_a_long_story_that_asks_for_the_mail_address_gets_it(run: Run) -> None:
    story = "上个月给我爸买的剃须刀，用了一个礼拜就充不进电了，我拍了好几段视频想一起发过去给他们看，请问客服的邮箱是多少"
    _, bubbles, _ = ask(run, "buyer_app", "damaged_item", story)
    assert EMAIL in text_of(bubbles)


def test_where_to_send_the_written_request_gets_the_place_for_the_role(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "ask_contact_channels", "整理完了我该往哪发", issue_category="物流问题")
    assert "人工客服" in text_of(bubbles) or "联系客服" in text_of(bubbles)
    _, bubbles, _ = ask(run, "seller_web", "ask_contact_channels", "整理完了我该往哪发", issue_category="物流问题")
    assert SELLER_URL in text_of(bubbles)


def test_money_sent_to_a_fake_agent_is_the_emergency_even_when_the_story_ends_on_a_refund(run: Run) -> None:
    _, bubbles, _ = ask(run, "buyer_app", "refund", "上周给一个自称官方客服的人打了500，他说先交押金才给我退款")
    said = text_of(bubbles)
    assert "96110" in said and "银行" in said and TICKET_PATH not in said


@pytest.mark.parametrize(
    "text, steps",
    [
        ("小蜜里打了人工 没人理", {"alixiaomi"}),
        ("订单页也一样", {"order_page"}),
        ("消保也投诉了", {"alixiaomi", "order_page", "ticket", "chase", "consumer_protection"}),
        ("能试的都试了", set(LADDERS["buyer"])),
        ("万一工单交上去也没人管呢", set()),
        ("工单怎么提交", set()),
    ],
)
def test_the_steps_a_user_says_were_tried(text: str, steps: set) -> None:
    assert tried_steps(text, LADDERS["buyer"]) == steps


def test_the_ladder_goes_on_after_the_last_step_tried_even_if_listed_before(run: Run) -> None:
    given = ["alixiaomi", "order_page", "email"]
    slots, bubbles, _ = ask(run, "unknown_role", "not_helpful", "小蜜里输了人工客服也没人", last_topic="request_human", channels_given=given)
    assert "订单详情页" in text_of(bubbles) and TICKET_PATH not in text_of(bubbles)
    slots, bubbles, _ = ask(run, "unknown_role", "file_complaint", "邮件发过了 消费者保护中心也投诉了 都没用")
    assert "整理" in text_of(bubbles) and "ladder_done" in slots["channels_given"]
    _, again, _ = ask(run, "unknown_role", "nlu_fallback", "那还能怎么办", last_topic="not_helpful", channels_given=slots["channels_given"])
    assert "证据" in text_of(again) and text_of(again) != text_of(bubbles)


@pytest.mark.parametrize(
    "text, waited",
    [("卖家同意都十天了", 14400), ("提交才一天", 1440), ("刚交了三个小时", 180), ("希望三天内处理", None), ("退款怎么弄", None)],
)
def test_how_long_the_user_has_waited(text: str, waited: Any) -> None:
    assert waited_minutes(text) == waited


@pytest.mark.parametrize(
    "text, fact, absent",
    [("才交了五个小时", "24", "72"), ("交了一天多了", "催办", "消费者保护中心"), ("都等了一个礼拜了", "消费者保护中心", TICKET_PATH)],
)
def test_the_wait_said_opens_the_step_of_the_guides_deadlines(run: Run, text: str, fact: str, absent: str) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "ticket_followup", text, last_topic="refund", channels_given=["ticket", "chase", "consumer_protection"])
    assert fact in text_of(bubbles) and absent not in text_of(bubbles)


def test_the_seller_desk_near_closing_says_to_hurry_and_when_it_opens_again(run: Run, freeze: Callable[[str], None]) -> None:
    freeze("2026-11-26T17:45:00+08:00")
    _, bubbles, _ = ask(run, "unknown_role", "seller_support", "卖家客服现在还来得及吗", role="seller")
    assert "15分钟" in text_of(bubbles) and "明天 9:00" in text_of(bubbles)
    _, late, _ = ask(run, "unknown_role", "nlu_fallback", "来不及了", role="seller", last_topic="seller_support")
    assert "明天 9:00" in text_of(late) and EMAIL in text_of(late)


def test_a_seller_ladder_never_gives_the_buyers_app_path(run: Run) -> None:
    _, bubbles, _ = ask(run, "unknown_role", "not_helpful", "还是不行", role="seller", last_topic="refund", channels_given=["seller_desk", "email"])
    assert "我的订单" not in text_of(bubbles) and "卖家专属客服" in text_of(bubbles)
