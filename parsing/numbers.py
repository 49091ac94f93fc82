"""Numbers written in digits or Chinese numerals."""
from __future__ import annotations

import re
from typing import Optional

# Digits read one by one (an order number said digit by digit): one character for one digit.
CHINESE_DIGITS = "零〇一二三四五六七八九幺"
_DIGIT_OF = str.maketrans(CHINESE_DIGITS, "001234567891")
HALF = "半"


def spell_digits(token: str) -> Optional[str]:
    """``八一二三`` → ``8123`` (one digit per character); None unless every character is a digit."""
    if not token or any(char not in CHINESE_DIGITS for char in token):
        return None
    return token.translate(_DIGIT_OF)


def read_number(token: str) -> Optional[float]:
    """``24`` → 24, ``三`` → 3, ``两`` → 2, ``十二`` → 12, ``半`` → 0.5; None when it is no number."""
    if token == HALF:
        return 0.5
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token)
    import cn2an  # here, not at the top: it takes half a second to import and the guard rarely needs it

    try:
        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError):
        return None
