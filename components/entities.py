"""SpacyRuleEntityExtractor: the form's entities, with normalized values (docs/CONTRACT.md).

Word-level phrases (issue_category, request_goal, fixed expected_time phrases, role, device) come
from the one vocabulary, `parsing/vocabulary.yml`, and are matched by a spaCy `SpanRuler` on a blank
`zh` pipeline segmented with jieba. The segmenter is a private `jieba.Tokenizer` that knows every
phrase, so a phrase is matched as whole words (Python's `\\b` does not work next to CJK characters)
and the Rasa JiebaTokenizer's global dictionary is left untouched.
Numbers cross token boundaries ("8123 4567 …", "24小时"), so order numbers and numeric deadlines
come from the one parser, `parsing` (also used by the form and the guard's masking).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Text, Tuple

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

from parsing import find_dates, find_deadlines, find_order_ids, iso_duration, warm_up
from parsing.vocabulary import ENTITY_TABLES, VOCABULARY_FILE, phrase_pattern, words

SPANS_KEY = "rules"
# A role or device right after a negation is the one the user is not ("不用app", "我不是卖家").
NEGATABLE = ("role", "device")


def load_vocabulary(path: Path = VOCABULARY_FILE) -> Tuple[Dict[Text, Dict[Text, List[Text]]], List[Text]]:
    """The phrase tables of the vocabulary (entity → normalized value → phrases) and the words kept
    whole by the segmenter though they contain a phrase (物流单号 is no 物流), from one read."""
    data = read_yaml_file(str(path))
    tables = {name: data[name] for name in ENTITY_TABLES if name in data}
    return tables, [str(word) for word in data.get("whole_words", [])]


def load_patterns(path: Path = VOCABULARY_FILE) -> Dict[Text, Dict[Text, List[Text]]]:
    """The phrase tables of the vocabulary: entity → normalized value → phrases."""
    return load_vocabulary(path)[0]


def build_nlp(patterns: Dict[Text, Dict[Text, List[Text]]], whole_words: Sequence[Text] = ()) -> "spacy.language.Language":
    """A blank zh pipeline with a private jieba segmenter and a SpanRuler for the phrases."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    segmenter = jieba.Tokenizer()
    phrases = [(label, value, str(phrase)) for label, table in patterns.items()
               for value, words in table.items() for phrase in words]
    for phrase in [phrase for _, _, phrase in phrases] + list(whole_words):
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


@lru_cache(maxsize=1)
def _negation_end() -> "re.Pattern[str]":
    return re.compile(rf"(?:{phrase_pattern(words('negations'))})\s*$", re.I)


def _without_negated(text: Text, candidates: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Drops roles and devices said after a negation, and a phrase of the same kind right after a
    negated one ("不是手机app": both 手机 and app)."""
    negation = _negation_end()
    negated: List[Dict[Text, Any]] = []
    for entity in sorted(candidates, key=lambda e: e[ENTITY_ATTRIBUTE_START]):
        if entity[ENTITY_ATTRIBUTE_TYPE] not in NEGATABLE:
            continue
        before = text[: entity[ENTITY_ATTRIBUTE_START]]
        follows_negated = any(
            other[ENTITY_ATTRIBUTE_TYPE] == entity[ENTITY_ATTRIBUTE_TYPE]
            and not text[other[ENTITY_ATTRIBUTE_END] : entity[ENTITY_ATTRIBUTE_START]].strip()
            for other in negated
        )
        if negation.search(before) or follows_negated:
            negated.append(entity)
    return [entity for entity in candidates if all(entity is not other for other in negated)]


def find_deadline_entities(text: Text) -> List[Tuple[int, int, Text]]:
    """Numeric deadlines ('三天内', '24小时', '半小时') as (start, end, ISO duration) and dates
    ('12月3日前', 'by Dec 3') as (start, end, ISO date without the year: the action knows the day)."""
    durations = [(start, end, iso_duration(minutes)) for start, end, minutes in find_deadlines(text)]
    return durations + find_dates(text)


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
        """`patterns_file`: the phrase tables (default: parsing/vocabulary.yml)."""
        return {"patterns_file": str(VOCABULARY_FILE)}

    @staticmethod
    def required_packages() -> List[Text]:
        """spaCy and jieba for the phrases, cn2an (through parsing) for Chinese numerals."""
        return ["spacy", "jieba", "cn2an"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Builds the spaCy pipeline from the phrase tables."""
        self._config = {**self.get_default_config(), **config}
        self._nlp = build_nlp(*load_vocabulary(Path(self._config["patterns_file"])))
        # Set up now, while the server loads the model, not on the first user's message.
        warm_up()
        self.extract("你好")

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
        for label, finder in (("order_id", find_order_ids), ("expected_time", find_deadline_entities)):
            candidates += [
                {ENTITY_ATTRIBUTE_TYPE: label, ENTITY_ATTRIBUTE_START: start,
                 ENTITY_ATTRIBUTE_END: end, ENTITY_ATTRIBUTE_VALUE: value}
                for start, end, value in finder(text)
            ]
        entities = _non_overlapping(_without_negated(text, candidates))
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
