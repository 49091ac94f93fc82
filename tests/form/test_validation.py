"""validate_support_request_form: every slot, every error, the help after two failures."""
from __future__ import annotations

import pytest

from actions.support_form import FAILURES_SLOT
from tests.form.conftest import entity, make_tracker, slot

REPLY_TIME = "点了联系客服不等于马上有人回，回复可能要几个小时甚至一天，请耐心等待并定期刷新。"
ORDER_INVALID = "「{}」不像订单号。订单号是10–20位数字（如 8123456789012345），或字母加数字（如 #ABC123）。"


def texts(messages):
    return [m["text"] for m in messages]


# ----------------------------------------------------------------------------- order_id
@pytest.mark.parametrize(
    "text, expected",
    [
        ("8123456789012345", "8123456789012345"),
        ("８１２３４５６７８９０１２３４５", "8123456789012345"),  # full-width
        ("8123 4567 8901 2345", "8123456789012345"),  # spaces
        ("#8123456789012345", "8123456789012345"),
        ("订单号是 八一二三四五六七八九零一二三四五", "8123456789012345"),  # Chinese numerals
        ("#ABC123", "ABC123"),  # the guide's letter style
        ("＃abc123", "ABC123"),
    ],
)
def test_order_id_is_normalized(validate, text, expected):
    tracker = make_tracker(text, {"order_id": text}, requested_slot="order_id", slots={"issue_category": "物流问题"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", expected)]
    assert messages == []


def test_order_id_entity_wins_over_free_text(validate):
    text = "订单 8123456789012345"
    tracker = make_tracker(
        text, {"order_id": "8123456789012345"}, entities=[entity("order_id", "8123456789012345")], requested_slot="order_id"
    )
    events, _ = validate(tracker)
    assert events == [slot("order_id", "8123456789012345")]


@pytest.mark.parametrize("text", ["123", "abc", "我不知道在哪看", "81234567890123456789012"])
def test_invalid_order_id_is_refused_with_the_expected_form(validate, text):
    tracker = make_tracker(text, {"order_id": text}, requested_slot="order_id", slots={"issue_category": "物流问题"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", None), slot(FAILURES_SLOT, {"order_id": 1})]
    assert texts(messages) == [ORDER_INVALID.format(text)]


def test_no_order_number_is_accepted_for_account_problems(validate):
    tracker = make_tracker("没有订单号", {"order_id": "没有订单号"}, requested_slot="order_id", slots={"issue_category": "账户安全"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", "无")]
    assert messages == []


def test_no_order_number_is_refused_for_other_problems(validate):
    tracker = make_tracker("没有订单号", {"order_id": "没有订单号"}, requested_slot="order_id", slots={"issue_category": "物流问题"})
    events, messages = validate(tracker)
    assert events == [slot("order_id", None), slot(FAILURES_SLOT, {"order_id": 1})]
    assert texts(messages) == ["物流问题需要订单号，客服要靠它查订单。在「我的」→「我的订单」里打开订单就能看到订单号。"]


def test_second_failure_explains_with_example_and_offers_skip_or_stop(validate):
    tracker = make_tracker(
        "abc", {"order_id": "abc"}, requested_slot="order_id", slots={"issue_category": "物流问题", FAILURES_SLOT: {"order_id": 1}}
    )
    events, messages = validate(tracker)
    assert events == [slot("order_id", None), slot(FAILURES_SLOT, {"order_id": 2})]
    assert texts(messages) == [
        ORDER_INVALID.format("abc"),
        "订单号是一串数字，如 8123456789012345，或字母加数字，如 #ABC123。在「我的」→「我的订单」里打开订单就能看到订单号。暂时找不到可以先跳过。",
    ]
    assert messages[1]["buttons"] == [
        {"title": "先跳过", "payload": '/inform{"order_id":"跳过"}'},
        {"title": "不填了", "payload": "/deny"},
    ]
    assert "buttons" not in messages[0] or messages[0]["buttons"] == []


def test_skip_button_fills_a_pending_order_and_clears_the_failures(validate):
    payload = '/inform{"order_id":"跳过"}'
    tracker = make_tracker(
        payload,
        {"order_id": "跳过"},
        entities=[entity("order_id", "跳过")],
        requested_slot="order_id",
        slots={"issue_category": "物流问题", FAILURES_SLOT: {"order_id": 2}},
    )
    events, messages = validate(tracker)
    assert events == [slot("order_id", "待补充"), slot(FAILURES_SLOT, None)]
    assert messages == []


# ----------------------------------------------------------------------------- issue_category
@pytest.mark.parametrize(
    "text, entities, expected",
    [
        ('/inform{"issue_category":"物流问题"}', [entity("issue_category", "物流问题")], "物流问题"),
        ("一直没收到货", [], "物流问题"),
        ("东西坏了", [], "商品质量问题"),
        ("账号被盗了", [], "账户安全"),
        ("售后", [], "售后工单"),
    ],
)
def test_category_maps_to_canonical_value(validate, text, entities, expected):
    tracker = make_tracker(text, {"issue_category": entities[0]["value"] if entities else text}, entities=entities)
    events, messages = validate(tracker)
    assert events == [slot("issue_category", expected)]
    assert messages == []


def test_unknown_category_is_refused_and_counted(validate):
    tracker = make_tracker("随便吧", {"issue_category": "随便吧"})
    events, messages = validate(tracker)
    assert events == [slot("issue_category", None), slot(FAILURES_SLOT, {"issue_category": 1})]
    assert texts(messages) == ["没看出「随便吧」属于哪类问题，请点一个按钮，或说「物流问题」「退款问题」这样的类别。"]


def test_second_unknown_category_offers_stop_only(validate):
    tracker = make_tracker("随便吧", {"issue_category": "随便吧"}, slots={FAILURES_SLOT: {"issue_category": 1}})
    events, messages = validate(tracker)
    assert events == [slot("issue_category", None), slot(FAILURES_SLOT, {"issue_category": 2})]
    assert texts(messages)[1] == "从按钮里选一个最接近的就行（都不符合就选最后一个）。完整示例：「订单#ABC123，售后问题，要求退款，希望24小时内回复。」"
    assert messages[1]["buttons"] == [{"title": "不填了", "payload": "/deny"}]


def test_category_change_away_from_account_clears_no_order(validate):
    tracker = make_tracker("物流问题", {"issue_category": "物流问题"}, requested_slot="request_goal", slots={"order_id": "无"})
    events, messages = validate(tracker)
    assert events == [slot("issue_category", "物流问题"), slot("order_id", None)]
    assert texts(messages) == ["物流问题需要订单号，稍后请补上。"]


# ----------------------------------------------------------------------------- request_goal
@pytest.mark.parametrize(
    "text, expected",
    [("想退款", "要求退款"), ("给我补发一个", "补发或换货"), ("退货退款", "退货退款"), ("帮我催一下", "催促处理"), ("找回账号", "找回账户")],
)
def test_goal_maps_to_canonical_value(validate, text, expected):
    tracker = make_tracker(text, {"request_goal": text}, requested_slot="request_goal")
    events, messages = validate(tracker)
    assert events == [slot("request_goal", expected)]
    assert messages == []


def test_unknown_goal_is_refused(validate):
    tracker = make_tracker("嗯嗯", {"request_goal": "嗯嗯"}, requested_slot="request_goal")
    events, messages = validate(tracker)
    assert events == [slot("request_goal", None), slot(FAILURES_SLOT, {"request_goal": 1})]
    assert texts(messages) == ["没看出「嗯嗯」想要什么结果，请点一个按钮，或说「要求退款」「补发或换货」这样的诉求。"]


def test_second_unknown_goal_offers_stop(validate):
    tracker = make_tracker("嗯嗯", {"request_goal": "嗯嗯"}, requested_slot="request_goal", slots={FAILURES_SLOT: {"request_goal": 1}})
    events, messages = validate(tracker)
    assert events == [slot("request_goal", None), slot(FAILURES_SLOT, {"request_goal": 2})]
    assert messages[1]["buttons"] == [{"title": "不填了", "payload": "/deny"}]


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
        ("1个半小时", "PT2H"),
        ("１０分钟", "PT10M"),
    ],
)
def test_expected_time_becomes_an_iso_duration(validate, text, expected):
    tracker = make_tracker(text, {"expected_time": text}, requested_slot="expected_time")
    events, messages = validate(tracker)
    assert events == [slot("expected_time", expected)]
    assert messages == []


def test_today_means_until_midnight_china_time(validate, monkeypatch):
    monkeypatch.setenv("ASSISTANT_FROZEN_TIME", "2026-11-26T10:00:00+08:00")
    tracker = make_tracker("今天之内", {"expected_time": "今天之内"}, requested_slot="expected_time")
    events, _ = validate(tracker)
    assert events == [slot("expected_time", "PT14H")]


@pytest.mark.parametrize("text", ["5分钟内", "PT5M", "马上", "立刻回复我"])
def test_within_five_minutes_is_answered_with_the_guide_expectation(validate, text):
    tracker = make_tracker(text, {"expected_time": text}, requested_slot="expected_time")
    events, messages = validate(tracker)
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"expected_time": 1})]
    assert texts(messages) == [REPLY_TIME + "几分钟内回复不现实，建议选「24小时内」。"]


def test_unreadable_time_is_refused(validate):
    tracker = make_tracker("看心情", {"expected_time": "看心情"}, requested_slot="expected_time")
    events, messages = validate(tracker)
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"expected_time": 1})]
    assert texts(messages) == ["没看懂「看心情」是多长时间，可以说「24小时内」「3天内」或「尽快」。"]


def test_second_time_failure_offers_skip_and_skip_uses_the_default(validate):
    tracker = make_tracker("看心情", {"expected_time": "看心情"}, requested_slot="expected_time", slots={FAILURES_SLOT: {"expected_time": 1}})
    events, messages = validate(tracker)
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"expected_time": 2})]
    assert texts(messages)[1] == "期望时间写成「24小时内」「3天内」这样就行。跳过的话按48小时内填写。"
    assert messages[1]["buttons"] == [
        {"title": "先跳过", "payload": '/inform{"expected_time":"跳过"}'},
        {"title": "不填了", "payload": "/deny"},
    ]
    skip = make_tracker(
        '/inform{"expected_time":"跳过"}', {"expected_time": "跳过"}, entities=[entity("expected_time", "跳过")],
        requested_slot="expected_time", slots={FAILURES_SLOT: {"expected_time": 2}},
    )
    events, messages = validate(skip)
    assert events == [slot("expected_time", "PT48H"), slot(FAILURES_SLOT, None)]


def test_failures_are_counted_per_slot(validate):
    tracker = make_tracker("看心情", {"expected_time": "看心情"}, requested_slot="expected_time", slots={FAILURES_SLOT: {"order_id": 1}})
    events, messages = validate(tracker)
    assert events == [slot("expected_time", None), slot(FAILURES_SLOT, {"order_id": 1, "expected_time": 1})]
    assert len(messages) == 1  # first failure on this slot: no help yet


# ----------------------------------------------------------------------------- several slots
def test_prefilled_slots_at_activation_are_validated_together(validate):
    """「我的订单8123456789012345一直没收到货，想退款，帮我整理一下」 fills three slots at once."""
    text = "我的订单8123456789012345一直没收到货，想退款，帮我整理一下"
    tracker = make_tracker(
        text,
        {"order_id": "8123456789012345", "issue_category": "物流问题", "request_goal": "要求退款"},
        intent="start_support_request",
        entities=[entity("order_id", "8123456789012345"), entity("issue_category", "物流问题"), entity("request_goal", "要求退款")],
        requested_slot=None,
    )
    events, messages = validate(tracker)
    assert events == [
        slot("order_id", "8123456789012345"),
        slot("issue_category", "物流问题"),
        slot("request_goal", "要求退款"),
    ]
    assert messages == []


def test_correction_of_an_earlier_slot_updates_it_and_keeps_asking(validate):
    """「订单号错了，是…」 while the time is asked: the order changes, the time stays unanswered."""
    text = "订单号错了，是8123456789012346"
    earlier = [
        {"event": "slot", "name": "order_id", "value": "8123456789012345"},
        {"event": "slot", "name": "requested_slot", "value": "expected_time"},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = make_tracker(
        text,
        {"order_id": "8123456789012346", "expected_time": text},
        entities=[entity("order_id", "8123456789012346")],
        requested_slot="expected_time",
        slots={"issue_category": "物流问题", "request_goal": "要求退款"},
        earlier_events=earlier,
    )
    events, messages = validate(tracker)
    assert events == [slot("order_id", "8123456789012346"), slot("expected_time", None)]
    assert texts(messages) == ["好的，订单号已改为「8123456789012346」。"]


def test_role_answer_is_not_taken_as_the_asked_slot(validate):
    """「我是卖家」 (role entity) while the category is asked: no error, the category stays empty."""
    tracker = make_tracker("我是卖家", {"issue_category": "我是卖家"}, entities=[entity("role", "seller")])
    events, messages = validate(tracker)
    assert events == [slot("issue_category", None)]
    assert messages == []


def test_order_entity_not_in_the_message_is_reread_from_the_text(validate):
    """「8123456789012345一直…」: an entity that swallowed 一 as a digit is not trusted."""
    text = "我的订单8123456789012345一直没收到货"
    tracker = make_tracker(
        text, {"order_id": "81234567890123451"}, entities=[entity("order_id", "81234567890123451")],
        requested_slot="order_id", slots={"issue_category": "物流问题"},
    )
    events, messages = validate(tracker)
    assert events == [slot("order_id", "8123456789012345")]
    assert messages == []


def test_first_category_wins_when_the_wish_also_sounds_like_one(validate):
    """「没收到货，想退款」: 物流问题 (the problem), not 退款问题 (the wish)."""
    text = "一直没收到货，想退款"
    entities = [
        {"entity": "issue_category", "value": "物流问题", "start": 2, "end": 6},
        {"entity": "issue_category", "value": "退款问题", "start": 8, "end": 10},
        {"entity": "request_goal", "value": "要求退款", "start": 7, "end": 10},
    ]
    tracker = make_tracker(text, {"issue_category": "退款问题", "request_goal": "要求退款"}, entities=entities, requested_slot=None)
    events, messages = validate(tracker)
    assert events == [slot("issue_category", "物流问题"), slot("request_goal", "要求退款")]


def test_prefilled_values_are_checked_against_the_message_that_said_them(validate):
    """Form started by a button after 「我的订单8123456789012345一直没收到货，想退款」."""
    said = "我的订单8123456789012345一直没收到货，想退款"
    parse = {
        "intent": {"name": "refund", "confidence": 0.97},
        "entities": [
            {"entity": "order_id", "value": "81234567890123451", "start": 4, "end": 21},
            {"entity": "issue_category", "value": "物流问题", "start": 23, "end": 27},
            {"entity": "issue_category", "value": "退款问题", "start": 29, "end": 31},
            {"entity": "request_goal", "value": "要求退款", "start": 28, "end": 31},
        ],
    }
    earlier = [
        {"event": "user", "text": said, "parse_data": parse},
        {"event": "slot", "name": "order_id", "value": "81234567890123451"},
        {"event": "slot", "name": "issue_category", "value": "退款问题"},
        {"event": "slot", "name": "request_goal", "value": "要求退款"},
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
    events, messages = validate(tracker)
    assert events == [
        slot("order_id", "8123456789012345"),
        slot("issue_category", "物流问题"),
        slot("request_goal", "要求退款"),
    ]
    assert messages == []
