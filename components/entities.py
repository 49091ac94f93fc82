"""SpacyRuleEntityExtractor: the form's entities, with normalized values (docs/CONTRACT.md).

Word-level phrases (issue_category, request_goal, fixed expected_time phrases, role, device) come
from `components/entity_patterns.yml` and are matched by a spaCy `SpanRuler` on a blank `zh`
pipeline segmented with jieba. The segmenter is a private `jieba.Tokenizer` that knows every phrase,
so a phrase is matched as whole words (Python's `\\b` does not work next to CJK characters) and the
Rasa JiebaTokenizer's global dictionary is left untouched.
Numbers cross token boundaries ("8123 4567 …", "24小时"), so order numbers and numeric durations
are found with lookaround regexes on the text; Chinese numerals go through cn2an or a digit map.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

import cn2an
import jieba
import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import read_yaml_file

PATTERNS_FILE = Path(__file__).with_name("entity_patterns.yml")
SPANS_KEY = "rules"

# Digit strings read digit by digit: full-width and Chinese numerals map 1:1 onto ASCII digits,
# so the offsets of the mapped text are those of the original text.
_DIGIT_MAP = str.maketrans(
    {**{chr(0xFF10 + d): str(d) for d in range(10)},
     **dict(zip("零〇一二三四五六七八九幺", "001234567891"))}
)
_ORDER_DIGITS = re.compile(
    r"(?<![\dA-Za-z])(?:\d{12,20}|\d{3,6}(?:[ \-]\d{3,6}){2,5})(?![\dA-Za-z])"
)
_ORDER_LETTERS = re.compile(
    r"#([A-Za-z]{1,6}\d{2,18})(?![\dA-Za-z])"
    r"|(?:订单号?码?|单号|order\s*(?:no\.?|number|id)?)\s*[:：]?\s*(?:是|为)?\s*"
    r"([A-Za-z]{1,6}\d{3,18})(?![\dA-Za-z])",
    re.IGNORECASE,
)
_NOT_ORDER_CUES = re.compile(r"(电话|手机|手机号|联系方式|身份证|证件|tel|phone|qq|微信)[^\d]{0,4}$", re.I)

_NUMBER = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十百半]+"
_UNITS = {
    "分钟": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minutes": 1 / 60,
    "小时": 1, "钟头": 1, "h": 1, "hr": 1, "hrs": 1, "hour": 1, "hours": 1,
    "天": 24, "days": 24, "day": 24,
    "周": 168, "星期": 168, "礼拜": 168, "week": 168, "weeks": 168,
    "个月": 720,
}
# number, optional 个, optional 半 (一个半小时), unit, optional 半 (一天半), optional 内/之前
_DURATION = re.compile(
    rf"(?<![\d.])({_NUMBER})\s*(?:个\s*)?(半)?\s*("
    + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
    + r")(?![A-Za-z])(半)?\s*(之内|以内|内|之前|以前|前)?",
    re.IGNORECASE,
)
_TIME_CUES = re.compile(r"(希望|期望|要求|最好|请|务必|争取|尽量|能否|能不能|可以|需要|限|within|in)\s*$", re.I)
_FILLER = re.compile(r"[\s,.!?;:，。！？、~…吧啊呀哈嗯吗呢的了左右]")


def load_patterns(path: Path = PATTERNS_FILE) -> Dict[Text, Dict[Text, List[Text]]]:
    """Reads the phrase tables: entity → normalized value → phrases."""
    return read_yaml_file(str(path))


def build_nlp(patterns: Dict[Text, Dict[Text, List[Text]]]) -> "spacy.language.Language":
    """A blank zh pipeline with a private jieba segmenter and a SpanRuler for the phrases."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    segmenter = jieba.Tokenizer()
    phrases = [(label, value, str(phrase)) for label, table in patterns.items()
               for value, words in table.items() for phrase in words]
    for _, _, phrase in phrases:
        if re.search(r"[^\x00-\x7f]", phrase):
            segmenter.add_word(phrase, freq=100000)
    nlp.tokenizer.jieba_seg = segmenter
    ruler = nlp.add_pipe(
        "span_ruler",
        config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "spans_filter": None},
    )
    ruler.add_patterns(
        [{"label": label, "pattern": phrase, "id": value} for label, value, phrase in phrases]
    )
    return nlp


def is_id_card(digits: Text) -> bool:
    """True for an 18-digit Chinese resident ID number (valid birth date and check digit)."""
    if len(digits) != 18:
        return False
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= date.today().year:
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(digits, weights)) % 11]
    return digits[17] == check


def is_phone_number(digits: Text) -> bool:
    """True for a mainland mobile number with the 86 country code (13 digits)."""
    return bool(re.fullmatch(r"861[3-9]\d{9}", digits))


def find_order_ids(text: Text) -> List[Tuple[int, int, Text]]:
    """Order numbers as (start, end, value): 12–20 digits or the guide's `#ABC123` style."""
    found = []
    mapped = text.translate(_DIGIT_MAP)
    for match in _ORDER_DIGITS.finditer(mapped):
        digits = re.sub(r"\D", "", match.group())
        if not 12 <= len(digits) <= 20 or is_id_card(digits) or is_phone_number(digits):
            continue
        if _NOT_ORDER_CUES.search(mapped[: match.start()]):
            continue
        found.append((match.start(), match.end(), digits))
    for match in _ORDER_LETTERS.finditer(text):
        group = 1 if match.group(1) else 2
        start = match.start(group) - (1 if group == 1 else 0)
        found.append((start, match.end(group), match.group(group).upper()))
    return found


def parse_number(token: Text) -> Optional[float]:
    """'24' → 24, '三' → 3, '两' → 2, '十二' → 12, '半' → 0.5; None when it is not a number."""
    if token == "半":
        return 0.5
    try:
        return float(token) if re.fullmatch(r"[\d.]+", token) else float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError):
        return None


def iso_duration(hours: float) -> Optional[Text]:
    """ISO-8601 duration in whole hours when possible, else in minutes (PT24H, PT30M)."""
    if hours <= 0:
        return None
    if abs(hours - round(hours)) < 1e-9:
        return f"PT{int(round(hours))}H"
    return f"PT{int(round(hours * 60))}M"


def find_durations(text: Text) -> List[Tuple[int, int, Text]]:
    """Numeric durations meant as a deadline ('三天内', '24小时', '半小时'), as ISO durations.

    A bare duration inside a longer sentence ('用了两天就坏了') is not a deadline: it counts only
    with a 内/之前 suffix, after a cue such as 希望/要求, or when it is (almost) the whole message.
    """
    found = []
    for match in _DURATION.finditer(text):
        number = parse_number(match.group(1))
        if number is None:
            continue
        if match.group(2) or match.group(4):
            number += 0.5
        rest = _FILLER.sub("", text[: match.start()] + text[match.end():])
        if not (match.group(5) or _TIME_CUES.search(text[: match.start()]) or len(rest) <= 2):
            continue
        value = iso_duration(number * _UNITS[match.group(3).lower()])
        if value:
            found.append((match.start(), match.end(), value))
    return found


def _non_overlapping(candidates: Iterable[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Per entity type, keeps the longest of overlapping candidates (earliest on ties) and one
    entity per (type, value)."""
    kept: List[Dict[Text, Any]] = []
    ordered = sorted(
        candidates,
        key=lambda e: (e[ENTITY_ATTRIBUTE_START] - e[ENTITY_ATTRIBUTE_END], e[ENTITY_ATTRIBUTE_START]),
    )
    for entity in ordered:
        if not any(
            other[ENTITY_ATTRIBUTE_TYPE] == entity[ENTITY_ATTRIBUTE_TYPE]
            and (
                other[ENTITY_ATTRIBUTE_VALUE] == entity[ENTITY_ATTRIBUTE_VALUE]
                or (other[ENTITY_ATTRIBUTE_START] < entity[ENTITY_ATTRIBUTE_END]
                    and entity[ENTITY_ATTRIBUTE_START] < other[ENTITY_ATTRIBUTE_END])
            )
            for other in kept
        ):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_TYPE]))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class SpacyRuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts order_id, issue_category, request_goal, expected_time, role and device."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """`patterns_file`: the phrase tables (default: components/entity_patterns.yml)."""
        return {"patterns_file": str(PATTERNS_FILE)}

    @staticmethod
    def required_packages() -> List[Text]:
        """spaCy and jieba for the phrases, cn2an for Chinese numerals."""
        return ["spacy", "jieba", "cn2an"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Builds the spaCy pipeline from the phrase tables."""
        self._config = {**self.get_default_config(), **config}
        self._nlp = build_nlp(load_patterns(Path(self._config["patterns_file"])))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyRuleEntityExtractor:
        """Creates the component (rules only, nothing to train)."""
        return cls(config)

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        """All entities of one (normalized) text, with normalized values."""
        doc = self._nlp(text)
        candidates = [
            {ENTITY_ATTRIBUTE_TYPE: span.label_, ENTITY_ATTRIBUTE_START: span.start_char,
             ENTITY_ATTRIBUTE_END: span.end_char, ENTITY_ATTRIBUTE_VALUE: span.id_}
            for span in doc.spans[SPANS_KEY]
        ]
        for label, finder in (("order_id", find_order_ids), ("expected_time", find_durations)):
            candidates += [
                {ENTITY_ATTRIBUTE_TYPE: label, ENTITY_ATTRIBUTE_START: start,
                 ENTITY_ATTRIBUTE_END: end, ENTITY_ATTRIBUTE_VALUE: value}
                for start, end, value in finder(text)
            ]
        entities = _non_overlapping(candidates)
        for entity in entities:
            entity["confidence_entity"] = 1.0
        return self.add_extractor_name(entities)

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the extracted entities to each message."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = self.extract(text)
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
