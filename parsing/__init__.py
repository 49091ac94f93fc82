"""The one parser of the assistant: widths, digits, Chinese numerals, durations, order and ID numbers.

Used by the NLU entity component (components/entities.py), the support-request form's validators
(actions/request_form/) and the guard's masking (channels/guard.py), so all three read a number the
same way. Words (category and goal phrases, duration units and cues) live in ``vocabulary.yml``.

The user's digits are never changed: Chinese numerals count as digits only in a run written wholly
in them (八一二三…), never next to Arabic digits (``…2345一直`` stays ``…2345``).
"""
from parsing.durations import (
    describe_parts,
    find_dates,
    find_deadlines,
    find_durations,
    iso_duration,
    iso_minutes,
    read_date,
    read_deadline,
)
from parsing.ids import is_id_card, is_mobile_number, is_tracking_number
from parsing.numbers import read_number, spell_digits
from parsing.orders import find_order_ids, read_order_answer
from parsing.text import half_width, half_width_char

__all__ = [
    "describe_parts",
    "find_dates",
    "find_deadlines",
    "find_durations",
    "find_order_ids",
    "half_width",
    "half_width_char",
    "is_id_card",
    "is_mobile_number",
    "is_tracking_number",
    "iso_duration",
    "iso_minutes",
    "read_date",
    "read_deadline",
    "read_number",
    "read_order_answer",
    "spell_digits",
    "warm_up",
]


def warm_up() -> None:
    """Reads the vocabulary, compiles the patterns and imports cn2an now rather than on the first
    message that needs them (about half a second of that message's time): the servers call this
    while they start. Parsing a sample that takes every path does it."""
    sample = "订单号8123456789012345，三天内，24小时，半小时，12月3日前"
    find_order_ids(sample)
    find_deadlines(sample)
    find_dates(sample)
    read_order_answer(sample)
