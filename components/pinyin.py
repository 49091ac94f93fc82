"""PinyinCountVectorsFeaturizer: character n-grams of the pinyin of each token.

Users type pinyin ("rengong kefu", "tuikuan") and homophone typos (人工克服, 退宽, 转人宫); in
characters these share nothing with 人工客服 / 退款 / 转人工, in toneless pinyin they are the same
string. This is Rasa's CountVectorsFeaturizer (its sentence features: components/count_vectors.py)
with each token replaced by its toneless pinyin (pypinyin; Latin letters and digits pass through
lower-cased), so its sparse features sit beside the character features of the plain featurizer
and the classifier sees both.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Text

from pypinyin import Style, lazy_pinyin
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components.count_vectors import SentenceCountVectorsFeaturizer


# Tokens repeat across the training data, and training reads each twice (vocabulary, features).
@lru_cache(maxsize=65536)
def to_pinyin(text: Text) -> Text:
    """Toneless pinyin of the Chinese characters, syllables run together (人工客服 → rengongkefu)."""
    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default")).lower()


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class PinyinCountVectorsFeaturizer(SentenceCountVectorsFeaturizer):
    """SentenceCountVectorsFeaturizer over the pinyin of the message's tokens (text attribute only)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Character n-grams inside each token's pinyin: a syllable and a half to two syllables."""
        return {
            **CountVectorsFeaturizer.get_default_config(),
            "analyzer": "char_wb",
            "min_ngram": 2,
            "max_ngram": 4,
            "min_df": 2,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """pypinyin turns characters into pinyin."""
        return ["sklearn", "pypinyin"]

    def _get_message_tokens_by_attribute(self, message: Message, attribute: Text) -> List[Text]:
        """The tokens of the text in pinyin, one string per token so sequence features align."""
        tokens = super()._get_message_tokens_by_attribute(message, attribute)
        if attribute != TEXT:
            return tokens
        return [to_pinyin(token) for token in tokens]
