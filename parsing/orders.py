"""Order numbers: 12–20 digits (spaces, dashes, dots, #, full-width or Chinese numerals) or #ABC123."""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from parsing.ids import is_id_card, is_mobile_number
from parsing.numbers import CHINESE_DIGITS, spell_digits
from parsing.text import half_width
from parsing.vocabulary import phrase_pattern, vocabulary

ORDER_DIGITS = (12, 20)  # the one length rule for digit order numbers
_DIGITS = re.compile(
    r"(?<![\dA-Za-z])(?:\d{12,20}|\d{3,6}(?:[ \-.]\d{3,6}){2,5})(?![\dA-Za-z])"
)
# Chinese numerals are digits only in a run made wholly of them, never next to Arabic digits.
_CHINESE = re.compile(rf"(?<![\d{CHINESE_DIGITS}])[{CHINESE_DIGITS}]{{12,20}}(?![\d{CHINESE_DIGITS}])")
_LETTERS = r"[A-Za-z]{1,6}\d{2,18}"
_HASH_LETTERS = re.compile(rf"#({_LETTERS})(?![\dA-Za-z])")


def _keyword_letters() -> "re.Pattern[str]":
    keywords = phrase_pattern(words_of("keywords"))
    return re.compile(rf"(?:{keywords})\s*[:：]?\s*(?:是|为|is)?\s*({_LETTERS})(?![\dA-Za-z])", re.I)


def _not_order_cue() -> "re.Pattern[str]":
    return re.compile(rf"(?:{phrase_pattern(words_of('not_order_cues'))})[^\d]{{0,4}}$", re.I)


def words_of(name: str) -> List[str]:
    return [str(word) for word in vocabulary()["orders"][name]]


def find_order_ids(text: str) -> List[Tuple[int, int, str]]:
    """Order numbers in ``text`` as (start, end, value), in text order; value digits or upper letters.

    Offsets are those of ``text`` (width folding keeps positions). Phone and ID-card numbers and
    numbers after 电话/身份证 … are not order numbers.
    """
    folded = half_width(text)
    not_order = _not_order_cue()
    found = []
    for pattern, read in ((_DIGITS, lambda s: re.sub(r"\D", "", s)), (_CHINESE, spell_digits)):
        for match in pattern.finditer(folded):
            digits = read(match.group())
            if not digits or not ORDER_DIGITS[0] <= len(digits) <= ORDER_DIGITS[1]:
                continue
            if is_id_card(digits) or is_mobile_number(digits) or not_order.search(folded[: match.start()]):
                continue
            found.append((match.start(), match.end(), digits))
    for match in _HASH_LETTERS.finditer(folded):
        found.append((match.start(), match.end(1), match.group(1).upper()))
    for match in _keyword_letters().finditer(folded):
        tracking = not_order.search(folded[: match.start(1)])  # 物流单号 LP…: a parcel's number, not the order's
        if not tracking and not any(start <= match.start(1) < end for start, end, _ in found):
            found.append((match.start(1), match.end(1), match.group(1).upper()))
    return sorted(found)


def read_order_answer(text: str) -> Optional[str]:
    """The order number in an answer to "请发订单号": the last one said, or a bare ``ABC123``."""
    found = find_order_ids(text)
    if found:
        return found[-1][2]
    bare = re.sub(r"[\s#:：,，。.!！]+", "", half_width(text))
    bare = re.sub(rf"^(?:{phrase_pattern(words_of('keywords'))})(?:是|为)?", "", bare, flags=re.I)
    if re.fullmatch(_LETTERS, bare):
        return bare.upper()
    return None
