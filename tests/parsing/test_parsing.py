"""The one parser: order numbers keep their digits, durations have one unit convention."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from channels.guard import mask_pii
from parsing import (
    describe_parts,
    find_dates,
    find_deadlines,
    find_order_ids,
    half_width,
    is_id_card,
    is_mobile_number,
    iso_duration,
    iso_minutes,
    read_date,
    read_deadline,
    read_number,
    read_order_answer,
    spell_digits,
)

CHINA = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=CHINA)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
TO_CHINESE = str.maketrans("0123456789", "零一二三四五六七八九")
# Text around an order number: Chinese numerals that are words (一直, 三天), letters, punctuation.
AROUND = st.text(alphabet="我的订单号一直没收到货三天内两周是，。 #abc", max_size=12)
ORDERS = st.integers(min_value=10 ** 11, max_value=10 ** 20 - 1).map(str).filter(
    lambda d: not is_id_card(d) and not is_mobile_number(d)
)


def _clean_edges(prefix: str, suffix: str) -> tuple:
    """No letter right before/after the number (that would make a different token, e.g. abc8123…)."""
    return prefix.rstrip("abc#"), suffix.lstrip("abc")


@settings(max_examples=300, deadline=None)
@given(AROUND, ORDERS, AROUND)
def test_digits_of_an_order_number_never_change(prefix: str, digits: str, suffix: str) -> None:
    prefix, suffix = _clean_edges(prefix, suffix)
    found = [value for _, _, value in find_order_ids(prefix + digits + suffix)]
    assert digits in found


@settings(max_examples=200, deadline=None)
@given(AROUND, ORDERS, st.sampled_from([" ", "-"]), st.booleans(), AROUND)
def test_grouped_and_full_width_order_numbers_read_exactly(prefix, digits, separator, full, suffix) -> None:
    prefix, suffix = _clean_edges(prefix, suffix)
    grouped = separator.join(digits[i:i + 4] for i in range(0, len(digits), 4))
    if len(grouped.split(separator)[-1]) < 3:  # a trailing group of 1–2 digits is not how people group
        grouped = digits
    written = grouped.translate(FULL_WIDTH) if full else grouped
    assert read_order_answer(prefix + written + suffix) == digits


@settings(max_examples=200, deadline=None)
@given(ORDERS, AROUND)
def test_order_numbers_said_in_chinese_numerals(digits: str, suffix: str) -> None:
    chinese = digits.translate(TO_CHINESE)
    suffix = suffix.lstrip("一三两")  # a numeral right after would be one more digit, as said
    assert read_order_answer(f"订单号是{chinese}{suffix}") == digits


@settings(max_examples=200, deadline=None)
@given(AROUND, ORDERS, AROUND)
def test_masking_keeps_the_text_and_its_order_numbers(prefix: str, digits: str, suffix: str) -> None:
    prefix, suffix = _clean_edges(prefix, suffix)
    text = prefix + digits + suffix
    assert mask_pii(text) == text


def test_chinese_numerals_next_to_digits_stay_words() -> None:
    assert find_order_ids("我的订单8123456789012345一直没收到货") == [(4, 20, "8123456789012345")]
    assert read_order_answer("8123 4567 8901 2345") == "8123456789012345"
    assert spell_digits("八一二三") == "8123" and spell_digits("一直") is None


@pytest.mark.parametrize(
    "text", ["13812345678", "8613812345678", "110101199003074514", "电话 8123456789012345", "1234567890", "abc"]
)
def test_phone_id_and_short_numbers_are_not_order_numbers(text: str) -> None:
    assert read_order_answer(text) is None


def test_letter_style_order_numbers() -> None:
    assert read_order_answer("#abc123") == "ABC123"
    assert read_order_answer("ABC123") == "ABC123"
    assert find_order_ids("订单号 XYZ789012 还没到") == [(4, 13, "XYZ789012")]


@pytest.mark.parametrize(
    "text, iso",
    [("三天内", "PT72H"), ("1个半小时", "PT90M"), ("一个月内", "PT720H"), ("within 48 hours", "PT48H"),
     ("时间改为三天内", "PT72H"), ("reply in 3 days", "PT72H"),
     # a negation in another clause ("never arrived") does not touch the deadline
     ("the parcel never arrived, I want a refund, within 3 days", "PT72H")],
)
def test_deadlines(text: str, iso: str) -> None:
    assert [iso_duration(minutes) for _, _, minutes in find_deadlines(text)] == [iso]


@pytest.mark.parametrize(
    "text",
    ["物流三周没更新", "tracking hasnt updated in 3 weeks", "已经等了三天", "用了两天就坏了", "三天了还没发货", "等了一个月还没到货"],
)
def test_durations_that_describe_the_problem_are_no_deadline(text: str) -> None:
    assert find_deadlines(text) == []
    assert read_deadline(text, NOW) is None


@pytest.mark.parametrize(
    "token, value",
    [("24", 24), ("三", 3), ("两", 2), ("十二", 12), ("半", 0.5), ("three", 3), ("Two", 2), ("a", 1), ("weeks", None)],
)
def test_the_one_number_reader(token: str, value) -> None:
    """Digits, Chinese numerals and English number words are read by parsing/numbers.py alone."""
    assert read_number(token) == value


@pytest.mark.parametrize(
    "text, iso",
    [("please reply within three days", "PT72H"), ("change the deadline to two hours", "PT2H"), ("within a week", "PT168H")],
)
def test_english_number_words_in_deadlines(text: str, iso: str) -> None:
    assert [iso_duration(minutes) for _, _, minutes in find_deadlines(text)] == [iso]


def test_one_unit_convention() -> None:
    assert iso_duration(90) == "PT90M" and iso_duration(120) == "PT2H" and iso_duration(0) is None
    assert iso_minutes("PT48H") == 2880 and iso_minutes("P1DT2H") == 1560 and iso_minutes("48") is None
    assert describe_parts(2880) == ("hours", 48)
    assert describe_parts(7 * 1440) == ("days", 7)
    assert describe_parts(90) == ("minutes", 90)


def test_answer_words_and_the_clock() -> None:
    assert read_deadline("尽快", NOW) == 1440
    assert read_deadline("马上", NOW) == 0
    assert read_deadline("今天之内", NOW) == 14 * 60
    assert read_deadline("明天", NOW) == 1440
    assert read_deadline("看心情", NOW) is None


def test_width_folding_keeps_positions() -> None:
    text = "订单＃ａｂｃ１２３　好"
    assert len(half_width(text)) == len(text) and half_width(text) == "订单#abc123 好"


@pytest.mark.parametrize("text", ["单号#8046.2291.7735.0618", "8046-2291-7735-0618", "8046 2291 7735 0618"])
def test_order_numbers_grouped_by_dots_dashes_or_spaces(text: str) -> None:
    assert read_order_answer(text) == "8046229177350618"


def test_a_price_is_no_order_number() -> None:
    assert read_order_answer("价格是12.50元") is None


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(1, 28), st.sampled_from(["{m}月{d}日前", "{m}月{d}号之前", "希望{m}月{d}日", "by {name} {d}"]))
def test_a_date_said_as_a_deadline_keeps_its_month_and_day(month, day, form):
    text = form.format(m=month, d=day, name=["Jan", "February", "Mar", "April", "May", "June", "Jul", "Aug", "Sept",
                                              "October", "Nov", "December"][month - 1])
    assert [value for *_, value in find_dates(text)] == [f"--{month:02d}-{day:02d}"]


@pytest.mark.parametrize("text", ["12月1日下的单 一直没到", "我12月3号结婚", "订单8123456789012345 5号发货", "13月3日前", "12月32日前"])
def test_a_date_that_tells_the_story_or_cannot_be_is_no_deadline(text):
    assert find_dates(text) == []


@pytest.mark.parametrize("said, day", [
    ("12月3日前", "2026-12-03"),  # ahead this year
    ("11月20日前", "2026-11-20"),  # gone by, days ago: kept, so the form can say it has passed
    ("1月5日前", "2027-01-05"),  # months ago this year: next year's
    ("3号之前", "2026-12-03"),  # the next 3rd
    ("26号前", "2026-11-26"),  # today counts
    ("--02-30", None),
])
def test_a_date_resolves_on_the_china_clock(said, day):
    found = read_date(said, NOW)
    assert (found.isoformat() if found else None) == day


def test_an_order_number_beside_a_date_keeps_its_digits():
    text = "订单8123456789012345 12月3日前要到"
    assert [digits for *_, digits in find_order_ids(text)] == ["8123456789012345"]
    assert [value for *_, value in find_dates(text)] == ["--12-03"]


def test_a_tracking_number_beside_the_order_number_is_not_taken_for_it():
    text = "订单号 8904-2271-6630-5518，物流单号 LP00673915208846，没收到货"
    assert [digits for *_, digits in find_order_ids(text)] == ["8904227166305518"]
    assert find_order_ids("物流单号是 8904227166305518") == []


@pytest.mark.parametrize("said, day", [
    ("这周五之前", "2026-11-27"), ("下周一之前要用", "2026-11-30"), ("周四前", "2026-11-26"), ("by Friday", "2026-11-27"),
    ("before next Monday", "2026-11-30"), ("下下周三前", "2026-12-09"),
])
def test_a_weekday_deadline_is_that_day_on_the_china_clock(said, day):
    assert read_date(said, NOW).isoformat() == day  # NOW is a Thursday


@pytest.mark.parametrize("text", ["我周一买的", "星期三下的单 一直没到"])
def test_a_weekday_that_tells_the_story_is_no_deadline(text):
    assert find_dates(text) == []
