"""validate_support_request_form: every slot, natural answers, corrections, never a loop.

Trackers are the JSON fixture plus one user message; ``said`` adds the entities the real NLU
entity component finds and the slot candidates Rasa's mappings would set. Assertions are on
events and on which wording key was used (knowledge/replies.yml), not on sentences.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st

from actions import knowledge
from parsing import is_id_card, is_mobile_number
from actions.request_form.settings import FAILURES_SLOT, WORDS_SLOT, label, say
from tests.form.conftest import entity, make_tracker, said, slot

ORDER = "8123456789012345"


def texts(messages):
    return [m["text"] for m in messages]


def invalid(text):
    return say("order_invalid", text=text, min_digits=12, max_digits=20, example=ORDER, letter_example="#ABC123")


def shown(slot_name, value):
    return say("value", label=label(slot_name), value=value)


# ----------------------------------------------------------------------------- order_id
@pytest.mark.parametrize(
    "text, expected",
    [
        (ORDER, ORDER),
        ("８１２３４５６７８９０１２３４５", ORDER),  # full-width
        ("8123 4567 8901 2345", ORDER),  # spaces
        ("8123-4567-8901-2345", ORDER),  # dashes
        ("#8123456789012345", ORDER),
        ("订单号是 八一二三四五六七八九零一二三四五", ORDER),  # Chinese numerals
        ("8123456789012345一直没收到", ORDER),  # 一直 is a word, not a digit
        ("#ABC123", "ABC123"),  # the guide's letter style
        ("＃abc123", "ABC123"),
    ],
)
def test_order_id_is_read_exactly(validate, understand, text, expected):
    events, messages = validate(said(understand, text, requested_slot="order_id", slots={"issue_category": "物流问题"}))
    assert slot("order_id", expected) in events
    assert messages == []


@pytest.mark.parametrize("text", ["123", "abc", "我也不清楚", "81234567890123456789012", "13812345678"])
def test_invalid_order_id_is_refused_with_the_expected_form(validate, text):
    tracker = make_tracker(text, {"order_id": text}, requested_slot="order_id", slots={"issue_category": "物流问题"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", None), slot(FAILURES_SLOT, {"order_id": 1})]
    assert texts(messages) == [invalid(text)]


def test_no_order_number_is_accepted_for_account_problems(validate):
    tracker = make_tracker("没有订单号", {"order_id": "没有订单号"}, requested_slot="order_id", slots={"issue_category": "账户安全"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", "无")]
    assert messages == []


@pytest.mark.parametrize("text", ["号被盗了，根本没有单号", "这事无订单", "no order number"])
def test_no_order_said_in_a_sentence_that_restates_the_category(validate, understand, text):
    """The category word the sentence repeats (被盗 → 账户安全) does not make it another slot's answer."""
    events, messages = validate(said(understand, text, requested_slot="order_id", slots={"issue_category": "账户安全"}))
    assert slot("order_id", "无") in events
    assert not any(e["name"] == "issue_category" and e["value"] != "账户安全" for e in events)
    assert not any(e["name"] == FAILURES_SLOT for e in events)


@pytest.mark.parametrize("text", ["订单号去哪找", "我不知道在哪看", "where can I find the order number"])
def test_where_to_find_the_order_number_is_answered_without_a_failure(validate, text):
    tracker = make_tracker(text, {"order_id": text}, requested_slot="order_id", slots={"issue_category": "商品质量问题"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", None)]
    where = knowledge.guide()["request_form"]["order_id"]["where"]
    assert texts(messages) == [say("order_where", where=where)]


def test_no_order_number_is_refused_for_other_problems(validate):
    tracker = make_tracker("没有订单号", {"order_id": "没有订单号"}, requested_slot="order_id", slots={"issue_category": "物流问题"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", None), slot(FAILURES_SLOT, {"order_id": 1})]
    where = knowledge.guide()["request_form"]["order_id"]["where"]
    assert texts(messages) == [say("order_needed", category="物流问题", where=where)]


def test_second_failure_offers_a_one_tap_skip(validate):
    tracker = make_tracker(
        "abc", {"order_id": "abc"}, requested_slot="order_id", slots={"issue_category": "物流问题", FAILURES_SLOT: {"order_id": 1}}
    )
    events, messages = validate(tracker)
    assert events == [slot("order_id", None), slot(FAILURES_SLOT, {"order_id": 2})]
    assert texts(messages)[0] == invalid("abc")
    assert messages[1]["buttons"] == [
        {"title": say("skip_button"), "payload": '/inform{"order_id":"跳过"}'},
        {"title": say("stop_button"), "payload": "/deny"},
    ]


def test_skip_button_fills_a_pending_order_and_clears_the_failures(validate):
    payload = '/inform{"order_id":"跳过"}'
    tracker = make_tracker(
        payload, {"order_id": "跳过"}, entities=[entity("order_id", "跳过")], requested_slot="order_id",
        slots={"issue_category": "物流问题", FAILURES_SLOT: {"order_id": 2}},
    )
    events, messages = validate(tracker)
    assert events == [slot("order_id", "待补充"), slot(FAILURES_SLOT, None)]
    assert messages == []


# ----------------------------------------------------------------------------- issue_category
def test_category_button_is_taken_without_comment(validate):
    payload = '/inform{"issue_category":"物流问题"}'
    events, messages = validate(make_tracker(payload, {"issue_category": "物流问题"}, entities=[entity("issue_category", "物流问题")]))
    assert events == [slot("issue_category", "物流问题")]
    assert messages == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("收到的货是坏的", "商品质量问题"),
        ("货一直没到", "物流问题"),
        ("衣服破了个洞", "商品质量问题"),
        ("my package never arrived", "物流问题"),
        ("the item is broken", "商品质量问题"),
        ("huaile", "商品质量问题"),  # pinyin
        ("账号被盗了", "账户安全"),
        ("耳机右边没有声音了", "商品质量问题"),
    ],
)
def test_category_from_an_ordinary_description_is_confirmed_in_one_line(validate, understand, text, expected):
    """The nearest category is confirmed with the user's own words beside it (商品质量问题（破了个洞）)."""
    events, messages = validate(said(understand, text))
    assert slot("issue_category", expected) in events
    words = words_of(events)
    assert words and words.lower() in text.lower()
    shown_value = say("category_with_words", category=expected, words=words)
    assert texts(messages) == [say("inferred", value=shown_value, label=label("issue_category"))]


def words_of(events):
    """The user's words kept beside the category, None when none were set."""
    return next((e["value"] for e in events if e["name"] == WORDS_SLOT), None)


def form_values(events):
    return [e for e in events if e["name"] != WORDS_SLOT]


def test_category_free_text_without_entity_uses_the_vocabulary(validate):
    events, _ = validate(make_tracker("一直没收到货", {"issue_category": "一直没收到货"}))
    assert form_values(events) == [slot("issue_category", "物流问题")]
    assert words_of(events) in "一直没收到货"


def test_unknown_category_is_asked_once_more_then_the_form_moves_on(validate):
    events, messages = validate(make_tracker("嗯嗯嗯", {"issue_category": "嗯嗯嗯"}))
    assert events == [slot("issue_category", None), slot(FAILURES_SLOT, {"issue_category": 1})]
    assert texts(messages) == [say("category_unknown", text="嗯嗯嗯")]
    again = make_tracker("嗯嗯嗯", {"issue_category": "嗯嗯嗯"}, slots={FAILURES_SLOT: {"issue_category": 1}})
    events, messages = validate(again)
    assert events == [slot("issue_category", "其他问题"), slot(FAILURES_SLOT, None)]
    assert texts(messages) == [say("category_fallback", value="其他问题")]


def test_category_change_away_from_account_clears_no_order(validate):
    tracker = make_tracker("物流问题", {"issue_category": "物流问题"}, requested_slot="issue_category", slots={"order_id": "无"})
    events, messages = validate(tracker)
    assert events == [slot("issue_category", "物流问题"), slot("order_id", None)]
    assert say("order_needed_later", category="物流问题") in texts(messages)


# ----------------------------------------------------------------------------- request_goal
@pytest.mark.parametrize(
    "text, expected",
    [("想退款", "要求退款"), ("给我补发一个", "补发或换货"), ("退货退款", "退货退款"), ("帮我催一下", "催促处理"),
     ("找回账号", "找回账户"), ("帮我查一下物流到哪了", "查询物流"), ("I want a refund", "要求退款"), ("tuikuan", "要求退款"),
     ("能不能重新给我发一件", "补发或换货"), ("只想把账户拿回来", "找回账户"), ("退一部分钱就行", "部分退款")],
)
def test_goal_maps_to_an_option(validate, understand, text, expected):
    events, _ = validate(said(understand, text, requested_slot="request_goal", slots={"issue_category": "物流问题"}))
    assert slot("request_goal", expected) in events


@pytest.mark.parametrize("text", ["就是想让他们管一管", "随便，你看着办", "都行"])
def test_vague_goal_gets_the_default_at_once(validate, understand, text):
    events, messages = validate(said(understand, text, requested_slot="request_goal", slots={"issue_category": "物流问题"}))
    assert events == [slot("request_goal", "请尽快处理")]
    assert texts(messages) == [say("goal_default", value="请尽快处理")]


@pytest.mark.parametrize("requested, default", [("request_goal", "请尽快处理"), ("issue_category", "其他问题")])
@pytest.mark.parametrize("text", ["跳过", "先跳过", "skip"])
def test_a_skipped_choice_takes_the_default_at_once(validate, text, requested, default):
    """跳过 at the goal or the category question moves on with the default, not a refusal."""
    events, messages = validate(make_tracker(text, {requested: text}, requested_slot=requested))
    assert events == [slot(requested, default)]
    line = "goal_default" if requested == "request_goal" else "category_fallback"
    assert texts(messages) == [say(line, value=default)]


def test_unknown_goal_twice_gets_the_default(validate):
    events, messages = validate(make_tracker("嗯嗯", {"request_goal": "嗯嗯"}, requested_slot="request_goal"))
    assert events == [slot("request_goal", None), slot(FAILURES_SLOT, {"request_goal": 1})]
    again = make_tracker("嗯嗯", {"request_goal": "嗯嗯"}, requested_slot="request_goal", slots={FAILURES_SLOT: {"request_goal": 1}})
    events, messages = validate(again)
    assert events == [slot("request_goal", "请尽快处理"), slot(FAILURES_SLOT, None)]


# ----------------------------------------------------------------------------- expected_time
@pytest.mark.parametrize(
    "text, expected",
    [
        ("PT48H", "PT48H"),
        ("48小时内", "PT48H"),
        ("四十八小时", "PT48H"),
        ("三天内", "PT72H"),
        ("一周", "PT168H"),
        ("尽快", "PT24H"),
        ("明天之前", "PT24H"),
        ("半小时", "PT30M"),
        ("1个半小时", "PT90M"),
        ("１０分钟", "PT10M"),
        ("within 3 days", "PT72H"),
        ("within a week", "PT168H"),
        ("two days", "PT48H"),
    ],
)
def test_expected_time_becomes_an_iso_duration(validate, text, expected):
    events, messages = validate(make_tracker(text, {"expected_time": text}, requested_slot="expected_time"))
    assert events == [slot("expected_time", expected)]
    assert messages == []


@pytest.mark.parametrize("text", ["今天之内", "今天"])
def test_today_is_the_day_on_the_china_clock_and_said_as_today(validate, monkeypatch, text):
    from actions.request_form.settings import describe_deadline

    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T23:30:00+08:00")  # late at night, still today in China
    events, _ = validate(make_tracker(text, {"expected_time": text}, requested_slot="expected_time"))
    assert events == [slot("expected_time", "2026-11-26")]
    assert describe_deadline("2026-11-26") == say("today")
    assert describe_deadline("2026-11-27") != say("today")


@pytest.mark.parametrize("text, day", [
    ("12月3日前", "2026-12-03"), ("改一下 是12月3日前", "2026-12-03"), ("十二月五号之前要到", "2026-12-05"),
    ("by Dec 3", "2026-12-03"), ("3号之前", "2026-12-03"), ("1月10日前", "2027-01-10"),
])
def test_a_date_becomes_that_day(validate, understand, monkeypatch, text, day):
    """A date is kept as the day it names (the year and month from the China clock), not turned into
    hours that would drift from what the user said."""
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T10:00:00+08:00")
    events, messages = validate(said(understand, text, requested_slot="expected_time"))
    assert slot("expected_time", day) in events
    assert messages == [] or all("已经过了" not in m for m in texts(messages))


def test_a_day_gone_by_is_refused_and_asked_again(validate, understand, monkeypatch):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-12-08T10:00:00+08:00")
    events, messages = validate(said(understand, "12月3日前", requested_slot="expected_time"))
    assert events[0] == slot("expected_time", None)
    assert any("12月3日" in m for m in texts(messages))


def test_a_date_is_shown_as_a_date_in_the_summary():
    from actions.request_form.summary import format_summary

    summary = format_summary("8123456789013321", "物流问题", "补发", "2026-12-03")
    assert "12月3日" in summary and "8123456789013321" in summary
    assert "小时" not in summary


@pytest.mark.parametrize("text", ["物流三周没更新", "tracking hasnt updated in 3 weeks"])
def test_a_duration_describing_the_problem_is_not_the_expected_time(validate, understand, text):
    tracker = said(understand, text, requested_slot="expected_time", slots={"issue_category": "物流问题", "request_goal": "查询物流"})
    events, messages = validate(tracker)
    assert slot("expected_time", None) in events
    assert not any(e["name"] == "expected_time" and e["value"] for e in events)
    assert not any(e["name"] == FAILURES_SLOT for e in events)
    assert texts(messages) == [say("time_is_the_problem")]  # said, not silently asked again


@pytest.mark.parametrize("choice", ["PT24H", "PT48H", "PT168H"])
def test_a_time_button_fills_the_expected_time(validate, choice):
    """The time buttons send /inform{"expected_time": "PT24H"}: the payload's text holds a bare
    duration, which must not be taken for a description of the problem."""
    text = '/inform{"expected_time":"%s"}' % choice
    events, messages = validate(
        make_tracker(text, {"expected_time": choice}, entities=[entity("expected_time", choice)], requested_slot="expected_time")
    )
    assert events == [slot("expected_time", choice)]
    assert messages == []


@pytest.mark.parametrize("text", ["5分钟内", "PT5M", "马上", "立刻回复我"])
def test_within_five_minutes_is_answered_with_the_guide_expectation(validate, text):
    events, messages = validate(make_tracker(text, {"expected_time": text}, requested_slot="expected_time"))
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"expected_time": 1})]
    assert texts(messages) == [say("time_unrealistic", reply_time=knowledge.caution("reply_time")["rule"])]


def test_second_time_failure_offers_skip_and_skip_uses_the_default(validate):
    tracker = make_tracker("看心情", {"expected_time": "看心情"}, requested_slot="expected_time", slots={FAILURES_SLOT: {"expected_time": 1}})
    events, messages = validate(tracker)
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"expected_time": 2})]
    assert texts(messages) == [say("time_unknown", text="看心情"), say("help_expected_time", default="48小时")]
    skip = make_tracker(
        '/inform{"expected_time":"跳过"}', {"expected_time": "跳过"}, entities=[entity("expected_time", "跳过")],
        requested_slot="expected_time", slots={FAILURES_SLOT: {"expected_time": 2}},
    )
    events, _ = validate(skip)
    assert events == [slot("expected_time", "PT48H"), slot(FAILURES_SLOT, None)]


def test_failures_are_counted_per_slot(validate):
    tracker = make_tracker("看心情", {"expected_time": "看心情"}, requested_slot="expected_time", slots={FAILURES_SLOT: {"order_id": 1}})
    events, messages = validate(tracker)
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"order_id": 1, "expected_time": 1})]
    assert len(messages) == 1  # first failure on this slot: no help yet


# ----------------------------------------------------------------------------- several slots, corrections
def test_slots_given_early_are_acknowledged(validate, understand):
    """「我的订单8123456789012345一直没收到货，想退款」 at the first question: three values, said back."""
    events, messages = validate(said(understand, "我的订单8123456789012345一直没收到货，想退款", requested_slot="issue_category"))
    assert {(e["name"], e["value"]) for e in events} >= {
        ("order_id", ORDER), ("issue_category", "物流问题"), ("request_goal", "要求退款")
    }
    assert texts(messages)[0] == say("taken", values="、".join([shown("order_id", ORDER), shown("request_goal", "要求退款")]))


def test_prefilled_slots_at_activation_are_validated_together(validate, understand):
    text = "我的订单8123456789012345一直没收到货，想退款，帮我整理一下"
    events, messages = validate(said(understand, text, intent="start_support_request", requested_slot=None))
    assert form_values(events) == [slot("order_id", ORDER), slot("issue_category", "物流问题"), slot("request_goal", "要求退款")]
    assert len(messages) == 1 and messages[0]["text"].startswith(say("taken", values="")[:2])


@pytest.mark.parametrize("intent", ["deny", "inform"])
def test_order_correction_while_the_time_is_asked(validate, understand, intent):
    earlier = {"order_id": ORDER, "issue_category": "物流问题", "request_goal": "要求退款"}
    tracker = said(understand, "不对，订单号是8123456789012346", intent=intent, requested_slot="expected_time", slots=earlier)
    events, messages = validate(tracker)
    assert slot("order_id", "8123456789012346") in events
    assert not any(e["name"] == "expected_time" and e["value"] for e in events)
    assert texts(messages) == [say("changed", values=shown("order_id", "8123456789012346"))]


@pytest.mark.parametrize("text", ["不对，我改主意了，要退款不换货了", "改成退款"])
def test_goal_correction_changes_the_goal_not_the_category(validate, understand, text):
    earlier = {"order_id": ORDER, "issue_category": "商品质量问题", "request_goal": "补发或换货"}
    events, messages = validate(said(understand, text, requested_slot="expected_time", slots=earlier))
    assert slot("request_goal", "要求退款") in events
    assert not any(e["name"] == "issue_category" and e["value"] != "商品质量问题" for e in events)
    assert texts(messages) == [say("changed", values=shown("request_goal", "要求退款"))]


def test_time_given_while_the_goal_is_asked_is_taken_and_said(validate, understand):
    tracker = said(understand, "时间改为三天内", requested_slot="request_goal", slots={"order_id": ORDER, "issue_category": "物流问题"})
    events, messages = validate(tracker)
    assert slot("expected_time", "PT72H") in events and slot("request_goal", None) in events
    assert not any(e["name"] == FAILURES_SLOT for e in events)
    assert texts(messages) == [say("taken", values=shown("expected_time", "3天内"))]


def test_a_description_later_does_not_silently_change_the_category(validate, understand):
    earlier = {"order_id": ORDER, "issue_category": "商品质量问题"}
    events, _ = validate(said(understand, "物流也很慢，想退款", requested_slot="request_goal", slots=earlier))
    assert slot("request_goal", "要求退款") in events
    assert not any(e["name"] == "issue_category" and e["value"] != "商品质量问题" for e in events)


def test_role_answer_is_not_taken_as_the_asked_slot(validate):
    tracker = make_tracker("我是卖家", {"issue_category": "我是卖家"}, entities=[entity("role", "seller")])
    events, messages = validate(tracker)
    assert events == [slot("issue_category", None)]
    assert messages == []


def test_prefilled_values_are_checked_against_the_message_that_said_them(validate):
    """Form started by a button after 「我的订单8123456789012345一直没收到货，想退款」, read by an
    older NLU that took 一 as a digit: the order is re-read from the words."""
    said_text = "我的订单8123456789012345一直没收到货，想退款"
    parse = {
        "intent": {"name": "refund", "confidence": 0.97},
        "entities": [
            {"entity": "order_id", "value": "81234567890123451", "start": 4, "end": 21},
            {"entity": "issue_category", "value": "物流问题", "start": 23, "end": 27},
            {"entity": "issue_category", "value": "退款问题", "start": 29, "end": 31},
            {"entity": "request_goal", "value": "要求退款", "start": 29, "end": 31},
        ],
    }
    earlier = [
        {"event": "user", "text": said_text, "parse_data": parse},
        {"event": "action", "name": "action_problem_guidance"},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = make_tracker(
        "/start_support_request",
        {"order_id": "81234567890123451", "issue_category": "退款问题", "request_goal": "要求退款"},
        intent="start_support_request",
        requested_slot=None,
        earlier_events=earlier,
    )
    events, _ = validate(tracker)
    assert form_values(events) == [slot("order_id", ORDER), slot("issue_category", "物流问题"), slot("request_goal", "要求退款")]


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(min_value=10 ** 11, max_value=10 ** 20 - 1).map(str).filter(lambda d: not is_id_card(d) and not is_mobile_number(d)),
    st.sampled_from(["", "一直没收到", "三天了", " 两周没更新", "，一二三"]),
    st.sampled_from(["", " ", "-"]),
)
def test_the_saved_order_number_has_exactly_the_users_digits(validate, digits, suffix, separator):
    written = separator.join(digits[i:i + 4] for i in range(0, len(digits), 4)) if len(digits) % 4 in (0, 3) else digits
    text = written + suffix
    tracker = make_tracker(text, {"order_id": text}, requested_slot="order_id", slots={"issue_category": "物流问题"})
    events, _ = validate(tracker)
    assert slot("order_id", digits) in events


# ----------------------------------------------------------------------------- the order number first, goals in the user's words
def test_no_order_before_the_problem_is_known_is_taken_for_now(validate):
    """The order number is asked first: 没有 before any category is taken (an account problem needs none)."""
    events, messages = validate(make_tracker("没有订单号", {"order_id": "没有订单号"}, requested_slot="order_id"))
    assert events == [slot("order_id", "无")]
    assert messages == []


def test_a_description_at_the_order_question_is_confirmed_as_the_category(validate, understand):
    events, messages = validate(said(understand, "收到的杯子碎了", requested_slot="order_id"))
    assert slot("issue_category", "商品质量问题") in events
    words = words_of(events)
    assert words and words in "收到的杯子碎了"
    shown_value = say("category_with_words", category="商品质量问题", words=words)
    assert say("inferred", value=shown_value, label=label("issue_category")) in texts(messages)


@pytest.mark.parametrize(
    "text, expected",
    [("要求补发，不行就退款", "补发或换货"), ("先换货吧，实在不行再退钱", "补发或换货"), ("要换货……算了，退款吧", "要求退款")],
)
def test_a_fallback_goal_does_not_replace_the_wish(validate, understand, text, expected):
    events, _ = validate(said(understand, text, requested_slot="request_goal", slots={"order_id": ORDER, "issue_category": "物流问题"}))
    assert slot("request_goal", expected) in events


@pytest.mark.parametrize("text, wish", [("诉求是把差评删掉", "把差评删掉"), ("要求卖家道歉", "卖家道歉")])
def test_a_wish_in_the_users_own_words_is_the_goal(validate, understand, text, wish):
    events, _ = validate(said(understand, text, requested_slot="request_goal", slots={"order_id": ORDER, "issue_category": "投诉纠纷"}))
    assert slot("request_goal", wish) in events


def test_an_own_words_goal_and_a_time_in_one_message_fill_both(validate, understand):
    tracker = said(understand, "诉求是尽快补偿运费，五个工作日内答复", requested_slot="request_goal", slots={"order_id": ORDER, "issue_category": "物流问题"})
    events, _ = validate(tracker)
    assert slot("request_goal", "尽快补偿运费") in events
    assert slot("expected_time", "PT120H") in events


@pytest.mark.parametrize("text", ["嗯嗯", "什么意思", "希望能快点吗"])
def test_a_mumble_or_a_question_is_no_goal(validate, understand, text):
    events, _ = validate(said(understand, text, requested_slot="request_goal", slots={"order_id": ORDER, "issue_category": "物流问题"}))
    assert not any(e["name"] == "request_goal" and e["value"] for e in events)


def test_a_problem_without_a_category_word_at_the_order_question_is_read_as_the_category(validate):
    events, messages = validate(make_tracker("账户让人给盗了", {"order_id": "账户让人给盗了"}, requested_slot="order_id"))
    assert slot("issue_category", "账户安全") in events and slot("order_id", None) in events
    assert not any(e["name"] == FAILURES_SLOT for e in events)


def test_the_users_words_for_the_problem_reach_the_saved_request(validate, understand):
    """「商品破损」 is read as 商品质量问题 and the summary keeps the user's word beside it."""
    from actions.request_form.summary import format_summary

    events, _ = validate(said(understand, "问题是商品破损", requested_slot="issue_category", slots={"order_id": ORDER}))
    words = words_of(events)
    assert slot("issue_category", "商品质量问题") in events and words and "破损" in words
    summary = format_summary(ORDER, "商品质量问题", "补发或换货", "PT72H", issue_words=words)
    assert "商品质量问题" in summary and words in summary and ORDER in summary


def test_a_category_button_keeps_no_words(validate):
    tracker = make_tracker('/inform{"issue_category":"物流问题"}', {"issue_category": "物流问题"}, entities=[entity("issue_category", "物流问题")])
    events, _ = validate(tracker)
    assert slot("issue_category", "物流问题") in events and words_of(events) is None


@pytest.mark.parametrize(
    "text, expected",
    [("帮我写个投诉，手机壳碎了", "商品质量问题"), ("要投诉，包裹一直没到", "物流问题"), ("我要投诉这个卖家", "投诉纠纷")],
)
def test_a_concrete_problem_beats_a_generic_category(validate, understand, text, expected):
    events, _ = validate(said(understand, text, requested_slot="issue_category"))
    assert slot("issue_category", expected) in events


def test_words_of_a_category_named_before_the_form_are_kept(validate, understand):
    """「商品破损 想换个新的」 answered first, the form started by the order number: the request says
    破损 beside 商品质量问题, as if it had been said inside the form."""
    first, entities = understand("要发给客服的内容 商品破损 想换个新的 一周内解决")
    values = {found["entity"]: found["value"] for found in entities}
    earlier = [
        {"event": "user", "text": first, "parse_data": {"intent": {"name": "damaged_item"}, "entities": entities, "text": first}},
        *[{"event": "slot", "name": name, "value": value} for name, value in values.items()],
        {"event": "action", "name": "action_answer"},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = said(understand, "订单号 8123 4567 8901 7002", intent="inform", requested_slot=None, slots=values, earlier_events=earlier)
    # Rasa validates the prefilled slots at activation, the category among them.
    tracker.events.append({"event": "slot", "name": "issue_category", "value": values["issue_category"]})
    events, _ = validate(tracker)
    assert values["issue_category"] == "商品质量问题"
    assert slot(WORDS_SLOT, "破损") in events or slot(WORDS_SLOT, "商品破损") in events


@pytest.mark.parametrize("text", ["LP00673915208846", "RR123456789CN"])
def test_a_tracking_number_given_for_the_order_is_named_and_asked_again(validate, text):
    events, messages = validate(make_tracker(text, {"order_id": text}, requested_slot="order_id"))
    assert events[0] == slot("order_id", None)
    assert any("物流单号" in message for message in texts(messages))


def test_a_goal_changed_while_the_time_is_asked_is_taken_with_the_time(validate, understand):
    earlier = {"order_id": ORDER, "issue_category": "商品质量问题", "request_goal": "要求退款"}
    events, messages = validate(said(understand, "等一下 不退了 还是换货吧 一周内", requested_slot="expected_time", slots=earlier))
    assert slot("request_goal", "补发或换货") in events and slot("expected_time", "PT168H") in events
    assert any("补发或换货" in message for message in texts(messages))
