"""ChineseTextNormalizer: the first NLU step, before JiebaTokenizer.

Traditional → simplified (OpenCC t2s), full-width ASCII → half-width, whitespace folded, emoji
stripped, the pinyin-initial abbreviations users type (kf, tk, wl, rg …) spelled out, a few internet
spellings (神马, 肿么) respelled. Every stripped emoji is recorded as an `emoji` entity, so the dialogue can tell an
emoji-only message: its normalized text is empty and EmptyMessageFallback, the last pipeline step,
gives it the intent `nlu_fallback` (and restores the emoji entities DIETClassifier drops for an
empty text). The same normalization is applied to the training data, with entity offsets moved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text, Tuple

import opencc
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from parsing import half_width_char as to_half_width

EMOJI_ENTITY = "emoji"
EMOJI_ATTRIBUTE = "normalizer_emoji"  # private copy of the emoji entities, see EmptyMessageFallback

_PICTOGRAPH = (
    "\U0001F000-\U0001F0FF"  # mahjong, playing cards
    "\U0001F100-\U0001F1E5"  # enclosed alphanumerics (without regional indicators)
    "\U0001F200-\U0001F2FF"  # enclosed ideographic supplement
    "\U0001F300-\U0001F5FF"  # symbols and pictographs
    "\U0001F600-\U0001F64F"  # emoticons
    "\U0001F680-\U0001F6FF"  # transport and map
    "\U0001F700-\U0001F77F"
    "\U0001F780-\U0001F7FF"  # geometric shapes extended
    "\U0001F800-\U0001F8FF"
    "\U0001F900-\U0001F9FF"  # supplemental symbols and pictographs
    "\U0001FA00-\U0001FAFF"  # symbols and pictographs extended
    "\u2600-\u27BF"  # miscellaneous symbols, dingbats
    "\u2B00-\u2BFF"  # arrows, stars (⭐ ⬆)
    "\u2300-\u23FF"  # technical (⌚ ⏰)
    "\u2190-\u21FF"  # arrows
    "\u3030\u303D\u3297\u3299\u00A9\u00AE\u203C\u2049\u2122\u2139"
)
_MODIFIER = "\uFE0E\uFE0F\u20E3\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F"
_ONE = f"[{_PICTOGRAPH}][{_MODIFIER}]*"
_EMOJI_RE = re.compile(
    f"[\U0001F1E6-\U0001F1FF]{{2}}"  # a flag: two regional indicators
    f"|[0-9#*]\uFE0F?\u20E3"  # keycaps 1️⃣ #️⃣
    f"|{_ONE}(?:\u200D{_ONE})*"  # one pictograph, its modifiers and ZWJ sequence
    f"|[{_MODIFIER}\u200D]+"  # stray modifiers
)
_T2S = opencc.OpenCC("t2s")

# Pinyin-initial abbreviations of this domain → the words they stand for. Each expansion has the
# abbreviation's length, so the character offsets of entities do not move. Matched only as a
# whole run of Latin letters (lookarounds: `\b` does not separate Latin letters from CJK), so
# English words, order numbers and tracking numbers such as LP00123456789CN are left alone.
ABBREVIATIONS = {
    "kf": "客服",
    "rg": "人工",
    "rgkf": "人工客服",
    "zrg": "转人工",
    "tk": "退款",
    "th": "退货",
    "wl": "物流",
    "kd": "快递",
    "fh": "发货",
    "sh": "售后",
    "ts": "投诉",
    "dd": "订单",
    "ddh": "订单号",
    "zmb": "怎么办",
    "zmd": "怎么的",
    "zm": "怎么",
    "sm": "什么",
    "qs": "签收",
    "yx": "邮箱",
}
_ABBREVIATION_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def expand_abbreviations(text: Text) -> Text:
    """kf → 客服, wl → 物流 …: spells out the abbreviations of ABBREVIATIONS (same length)."""
    return _ABBREVIATION_RE.sub(lambda match: ABBREVIATIONS[match.group(1).lower()], text)


# Internet spellings of common words (homophones typed on purpose or by the input method's first
# choice): their pinyin differs from the word's (shenma / shenme, zhongme / zenme), so neither the
# character nor the pinyin features link them. Each is replaced by the word, same length (offsets).
# Only spellings with no literal reading in a shop: 木有 (实木有味道), 酱紫 (a colour), 童鞋 (children's
# shoes), 稀饭 (porridge) and 米有 (大米有虫) stay as typed.
SPELLINGS = {
    "神马": "什么",
    "啥米": "什么",
    "肿么": "怎么",
    "有木有": "有没有",
    "桑心": "伤心",
}
_SPELLING_RE = re.compile("|".join(sorted(SPELLINGS, key=len, reverse=True)))


def respell(text: Text) -> Text:
    """神马 → 什么, 肿么 → 怎么 …: the internet spellings of SPELLINGS as the words (same length)."""
    return _SPELLING_RE.sub(lambda match: SPELLINGS[match.group(0)], text)


@dataclass
class Normalized:
    """The normalized text, the stripped emoji and where each original offset went."""

    text: Text
    emoji: List[Dict[Text, Any]]
    offsets: List[int]  # offsets[i] = position in `text` of original character i (len + 1)

    def span(self, start: int, end: int) -> Tuple[int, int]:
        """Maps an original [start, end) span onto the normalized text, trimming spaces."""
        new_start, new_end = self.offsets[start], self.offsets[end]
        while new_start < new_end and self.text[new_start] == " ":
            new_start += 1
        while new_end > new_start and self.text[new_end - 1] == " ":
            new_end -= 1
        return new_start, new_end


def to_simplified(text: Text) -> Text:
    """Traditional → simplified, keeping the length (char by char if OpenCC changed it)."""
    converted = _T2S.convert(text)
    if len(converted) == len(text):
        return converted
    chars = (_T2S.convert(char) for char in text)
    return "".join(new if len(new) == 1 else old for new, old in zip(chars, text))


def normalize(text: Text) -> Normalized:
    """Normalizes one text and records where each character and emoji went."""
    half_width = "".join(to_half_width(char) for char in to_simplified(text))
    simplified = respell(expand_abbreviations(half_width))
    emoji_spans = {m.start(): m.end() for m in _EMOJI_RE.finditer(simplified)}
    out: List[Text] = []
    offsets: List[int] = []
    emoji: List[Dict[Text, Any]] = []
    skip_until = 0
    for index, char in enumerate(simplified):
        offsets.append(len(out))
        if index < skip_until:
            continue
        if index in emoji_spans:
            skip_until = emoji_spans[index]
            emoji.append({"value": simplified[index:skip_until], "at": len(out)})
            continue
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(char)
    offsets.append(len(out))
    if out and out[-1] == " ":
        out.pop()
    length = len(out)
    offsets = [min(offset, length) for offset in offsets]
    for item in emoji:
        item["at"] = min(item["at"], length)
    return Normalized("".join(out), emoji, offsets)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class ChineseTextNormalizer(GraphComponent):
    """Normalizes the user text before tokenization, in training and at inference."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No options: the normalization is fixed so training and inference agree."""
        return {}

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        """Chinese only."""
        return ["zh"]

    @staticmethod
    def required_packages() -> List[Text]:
        """OpenCC does the traditional → simplified conversion."""
        return ["opencc"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        """Creates the component (it has no state)."""
        return cls()

    @property
    def name(self) -> Text:
        """The extractor name written on the `emoji` entities."""
        return self.__class__.__name__

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalizes every training example's text and moves its entity spans."""
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if not isinstance(text, str):
                continue
            result = normalize(text)
            entities = []
            for entity in example.get(ENTITIES) or []:
                start, end = result.span(
                    entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
                )
                moved = {**entity, ENTITY_ATTRIBUTE_START: start, ENTITY_ATTRIBUTE_END: end}
                if entity.get(ENTITY_ATTRIBUTE_VALUE) == text[
                    entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]
                ]:
                    moved[ENTITY_ATTRIBUTE_VALUE] = result.text[start:end]
                if start < end:
                    entities.append(moved)
            example.set(TEXT, result.text)
            if example.get(ENTITIES) is not None:
                example.set(ENTITIES, entities)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalizes incoming messages and records the stripped emoji as entities."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            result = normalize(text)
            message.set(TEXT, result.text, add_to_output=True)
            if result.emoji:
                found = [
                    {
                        ENTITY_ATTRIBUTE_TYPE: EMOJI_ENTITY,
                        ENTITY_ATTRIBUTE_VALUE: item["value"],
                        ENTITY_ATTRIBUTE_START: item["at"],
                        ENTITY_ATTRIBUTE_END: item["at"],
                        EXTRACTOR: self.name,
                    }
                    for item in result.emoji
                ]
                message.set(EMOJI_ATTRIBUTE, found)
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


class StatelessStep(GraphComponent):
    """A pipeline step without options or trained state (the rules after the classifier)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No options."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StatelessStep:
        """Creates the component (it has no state)."""
        return cls()


def set_intent(message: Message, name: Text) -> None:
    """Gives the message the intent `name` with confidence 1, ranked alone."""
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class EmptyMessageFallback(StatelessStep):
    """Last NLU step: a message left empty by the normalizer (emoji only) is `nlu_fallback`.

    DIETClassifier returns no entities for an empty text, dropping the `emoji` entities the
    normalizer set, so they are put back here.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        """Restores dropped emoji entities and gives empty messages the fallback intent."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            entities = message.get(ENTITIES) or []
            missing = [e for e in message.get(EMOJI_ATTRIBUTE) or [] if e not in entities]
            if missing:
                message.set(ENTITIES, entities + missing, add_to_output=True)
            if not text:
                set_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME)
        return messages

