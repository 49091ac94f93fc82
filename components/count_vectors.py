"""SentenceCountVectorsFeaturizer: Rasa's CountVectorsFeaturizer giving sentence features only.

The pipeline's classifier (components/logistic_regression.py) reads sentence features only, and
nothing else reads the count features, yet Rasa's featurizer also builds a sequence matrix (one row per
token) for every message, calling scikit-learn once per message for each kind. This subclass
builds the same sentence rows (the vocabulary is trained as Rasa's) and no sequence
rows, in one `transform` call for all the messages of a batch (a count vectorizer counts each
document on its own, so each row equals Rasa's). That is most of the featurizers' share of a training and a
parse. A classifier that needs sequence features (DIETClassifier, CRFEntityExtractor) needs Rasa's own
CountVectorsFeaturizer.
"""
from __future__ import annotations

from typing import List, Optional, Text, Tuple

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message

Matrices = List[Optional[scipy.sparse.spmatrix]]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer with Rasa's sentence features and no sequence features."""

    def _create_features(self, attribute: Text, all_tokens: List[List[Text]]) -> Tuple[Matrices, Matrices]:
        """No sequence features; Rasa's sentence features (None without tokens), in one transform."""
        sequence: Matrices = [None] * len(all_tokens)
        sentence: Matrices = [None] * len(all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        featurized = [index for index, tokens in enumerate(all_tokens) if tokens]
        if not vectorizer or not featurized or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return sequence, sentence
        rows = vectorizer.transform([" ".join(all_tokens[index]) for index in featurized])
        for row, index in enumerate(featurized):
            sentence_row = rows[row:row + 1]
            sentence_row.sort_indices()
            sentence[index] = sentence_row.tocoo()
        return sequence, sentence

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the sentence features of every message, attribute by attribute."""
        if self.vectorizers is None:
            return super().process(messages)
        for attribute in self._attributes:
            all_tokens = [self._get_processed_message_tokens_by_attribute(message, attribute)
                          for message in messages]
            sequence, sentence = self._create_features(attribute, all_tokens)
            for message, sequence_features, sentence_features in zip(messages, sequence, sentence):
                self.add_features_to_message(sequence_features, sentence_features, attribute, message)
        return messages
