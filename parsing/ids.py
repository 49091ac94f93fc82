"""Numbers that look like order numbers but are not: mainland ID cards, mobile numbers and
parcel tracking numbers."""
from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")
# An ID-card-shaped number inside a text (is_id_card then checks its date and check digit).
ID_CARD_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def is_id_card(number: str) -> bool:
    """True for an 18-character mainland ID number with a valid birth date and check digit."""
    if not re.fullmatch(r"\d{17}[0-9Xx]", number):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= date.today().year:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


# Cainiao's LP… numbers and the UPU S10 format (RR123456789CN) that AliExpress parcels carry.
TRACKING = re.compile(r"LP\d{12,16}|[A-Z]{2}\d{9}[A-Z]{2}", re.I)


def is_tracking_number(text: str) -> bool:
    """True when the whole text is a parcel tracking number (LP00673915208846, RR123456789CN)."""
    return bool(TRACKING.fullmatch(text.strip().replace(" ", "")))


def is_mobile_number(digits: str) -> bool:
    """True for a mainland mobile number, with or without the 86 country code."""
    return bool(MOBILE.fullmatch(digits))
