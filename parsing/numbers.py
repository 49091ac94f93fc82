"""Numbers written in digits, Chinese numerals or English words: the one number reader."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, Optional

from parsing.vocabulary import vocabulary

# Digits read one by one (an order number said digit by digit): one character for one digit.
CHINESE_DIGITS = "零〇一二三四五六七八九幺"
_DIGIT_OF = str.maketrans(CHINESE_DIGITS, "001234567891")
HALF = "半"


def spell_digits(token: str) -> Optional[str]:
    """``八一二三`` → ``8123`` (one digit per character); None unless every character is a digit."""
    if not token or any(char not in CHINESE_DIGITS for char in token):
        return None
    return token.translate(_DIGIT_OF)


@lru_cache(maxsize=1)
def english_number_words() -> Dict[str, int]:
    """Lower-cased English number word → value (vocabulary.yml ``numbers.english_words``)."""
    return {str(word).lower(): int(value) for word, value in vocabulary()["numbers"]["english_words"].items()}


def read_number(token: str) -> Optional[float]:
    """``24`` → 24, ``三`` → 3, ``两`` → 2, ``十二`` → 12, ``半`` → 0.5, ``three`` → 3; None when
    it is no number."""
    if token == HALF:
        return 0.5
    if token.lower() in english_number_words():
        return float(english_number_words()[token.lower()])
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token)
    import cn2an  # here, not at the top: it takes half a second to import and the guard rarely needs it

    try:
        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError):
        return None
