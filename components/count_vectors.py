"""SentenceCountVectorsFeaturizer: Rasa's CountVectorsFeaturizer giving sentence features only.

The pipeline's classifier (components/logistic_regression.py) reads sentence features only, and
nothing else reads the count features, yet Rasa's featurizer also builds a sequence matrix (one row per
token) for every message, calling scikit-learn once per message for each kind. This subclass
builds the same sentence rows (the vocabulary is trained as Rasa's) and no sequence
rows, each counted as scikit-learn's `transform` counts it (a count vectorizer counts each document
on its own, so each row equals Rasa's). That is most of the featurizers' share of a training and a
parse. A classifier that needs sequence features (DIETClassifier, CRFEntityExtractor) needs Rasa's own
CountVectorsFeaturizer.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Text, Tuple

import numpy as np
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
        """No sequence features; Rasa's sentence features (None without tokens).

        Each row is what scikit-learn's `transform` gives for the message (its vectorizer's
        analyzer and vocabulary: the count of each known n-gram, 1 with `binary`) as Rasa keeps
        it (indices sorted, COO), built from the counts directly: scikit-learn builds a CSR
        matrix of the batch, Rasa or a slice takes each row out and converts it, and each of
        these scipy matrices costs more than the counting (most of a parse's featurizer time).
        """
        sequence: Matrices = [None] * len(all_tokens)
        sentence: Matrices = [None] * len(all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer or not any(all_tokens) or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return sequence, sentence
        vectorizer._check_vocabulary()
        vocabulary = vectorizer.vocabulary_
        analyze = vectorizer.build_analyzer()
        for index, tokens in enumerate(all_tokens):
            if not tokens:
                continue
            counts: Dict[int, int] = {}
            for feature in analyze(" ".join(tokens)):
                column = vocabulary.get(feature)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            columns = sorted(counts)
            values = [1] * len(columns) if vectorizer.binary else [counts[column] for column in columns]
            sentence[index] = scipy.sparse.coo_matrix(
                (np.array(values, dtype=vectorizer.dtype),
                 (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32))),
                shape=(1, len(vocabulary)),
            )
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
