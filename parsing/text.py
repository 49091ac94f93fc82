"""Width folding that keeps every character's position (offsets stay valid for entity spans)."""
from __future__ import annotations


def half_width_char(char: str) -> str:
    """Full-width ASCII (！ to ～) and the ideographic space → their half-width forms."""
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if code == 0x3000:
        return " "
    return char


def half_width(text: str) -> str:
    """``half_width_char`` on every character: same length, same offsets."""
    return "".join(half_width_char(char) for char in text)
