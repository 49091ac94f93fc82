"""LogisticRegressionIntentClassifier: Rasa's LogisticRegressionClassifier, fit for this pipeline.

Two changes to Rasa's class:
* a message without sentence features (emoji only: empty after the normalizer) gets no intent
  (name None, confidence 0, as DIETClassifier gives an empty text), for FallbackClassifier and
  EmptyMessageFallback, instead of failing the whole batch in scikit-learn;
* `previous_weight` > 0 blends it with the intent classifier placed before it (DIETClassifier
  with `ranking_length: 0`, so every intent is ranked): the confidences are the weighted mean of
  the previous ranking and the regression's probabilities.
`C` is scikit-learn's inverse regularization strength (Rasa's class fixes it at 1.0).
`scaling: log_l2` puts each message's feature counts on a log scale and gives the row unit length:
with raw counts a long rambling message gets large feature values and so an overconfident answer
from whichever words dominate it, and a short turn gets a weak one that falls back.
`scaling: binary` keeps only whether each feature occurs (a count above 1 becomes 1, as
scikit-learn's CountVectorizer(binary=True)): a word or n-gram a rambling message repeats
(`59元 … 59元 … 59元`) weighs what it weighs once, and short turns keep their raw-count scale.
The feature matrix is Rasa's, stacked once for all messages and featurizers instead of once per
featurizer (Rasa joins the featurizers' sentence rows pairwise, about a third of a message's NLU
time), from the featurizers' entries directly (`stacked`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from scipy.sparse import csr_matrix, spmatrix
from scipy.sparse._sputils import upcast
from sklearn.preprocessing import normalize
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH


def has_sentence_features(message: Message) -> bool:
    """True when a featurizer gave the text sentence features (not for an empty text).

    Looks at the features' kinds only: `get_sparse_features` would stack every featurizer's
    matrices just to be thrown away (twice per message, before the classifier stacks them again).
    """
    return any(feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE
               for feature in message.features)


def stacked(rows: List[List[spmatrix]]) -> csr_matrix:
    """`vstack([hstack(blocks) for blocks in rows])` for rows of one-row blocks (sentence features),
    as the CSR matrix scipy's `tocsr()` makes of it (the classifier's and scikit-learn's format):
    the same entries, order, shape, dtypes and index arrays, from the blocks' entries at once.
    scipy builds a matrix for each row and each stack, ten times the time (0.5 ms of a parse), and
    a COO matrix of them and its conversion to CSR were still a tenth of a parse."""
    columns, values, ends = [], [], [0]
    width = None
    for blocks in rows:
        offset, row_end = 0, ends[-1]
        for block in blocks:
            block = block.tocoo()
            if block.shape[0] != 1:
                raise ValueError(f"sentence features are one row, not {block.shape[0]}")
            columns.append(block.col + offset)
            values.append(block.data)
            offset += block.shape[1]
            row_end += block.nnz
        if width not in (None, offset):
            raise ValueError(f"messages with {width} and {offset} sentence features cannot be stacked")
        width = offset
        ends.append(row_end)
    shape = (len(rows), width or 0)
    dtype = np.result_type(*(block.dtype for blocks in rows for block in blocks))
    if ends[-1] == 0:
        return csr_matrix(shape, dtype=dtype)  # as `tocsr()` of a matrix without entries
    # scipy's constructor picks the index dtype from the values (as for the arrays `tocsr()` makes).
    matrix = csr_matrix((np.concatenate(values).astype(upcast(dtype)), np.concatenate(columns), np.array(ends)),
                        shape=shape)
    matrix.sum_duplicates()  # as `tocsr()`: entries sorted by column within each row
    return matrix


SCALINGS = ("none", "log_l2", "binary")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LogisticRegressionIntentClassifier(LogisticRegressionClassifier):
    """Logistic regression on the sentence features, optionally blended with the previous ranking."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Rasa's options plus `C` and `previous_weight` (0: the regression alone)."""
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0,
                "previous_weight": 0.0, "scaling": "none"}

    def __init__(self, config: Dict[Text, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.C = float(self.config["C"])
        if self.config["scaling"] not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, not {self.config['scaling']!r}")

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """Rasa's matrix: per message its sparse sentence features, then its dense ones, in order."""
        rows = []
        for message in messages:
            sentence = [feature for feature in message.features
                        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE]
            sparse = [feature.features for feature in sentence if feature.is_sparse()]
            dense = [feature.features for feature in sentence if feature.is_dense()]
            rows.append([*(sparse or [csr_matrix([])]),
                         csr_matrix(np.concatenate(dense, axis=-1) if dense else [])])
        return self._scaled(stacked(rows))

    def _scaled(self, features: csr_matrix) -> csr_matrix:
        """The features scaled as configured (`scaling`)."""
        if self.config["scaling"] == "none":
            return features
        features = csr_matrix(features, dtype=np.float64)
        if self.config["scaling"] == "binary":
            features.data = np.minimum(np.abs(features.data), 1.0) * np.sign(features.data)
            return features
        features.data = np.log1p(np.abs(features.data)) * np.sign(features.data)
        return normalize(features, norm="l2")

    def process(self, messages: List[Message]) -> List[Message]:
        """Classifies the messages that have features; blends with the previous ranking."""
        featurized = [message for message in messages if has_sentence_features(message)]
        for message in messages:
            if not has_sentence_features(message):
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                            add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        previous = [message.get(INTENT_RANKING_KEY) or [] for message in featurized]
        if featurized:
            super().process(featurized)
        weight = float(self.config["previous_weight"])
        if weight > 0:
            for message, earlier in zip(featurized, previous):
                self._blend(message, earlier, weight)
        return messages

    def _blend(self, message: Message, earlier: List[Dict[Text, Any]], weight: float) -> None:
        """Sets the intent and ranking to the weighted mean of the two rankings."""
        blended: Dict[Text, float] = {}
        for ranking, share in ((earlier, weight), (message.get(INTENT_RANKING_KEY), 1 - weight)):
            for entry in ranking:
                name = entry[INTENT_NAME_KEY]
                blended[name] = blended.get(name, 0.0) + share * float(entry[PREDICTED_CONFIDENCE_KEY])
        ranking = [
            {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
            for name, confidence in sorted(blended.items(), key=lambda item: -item[1])
        ]
        if self.config[RANKING_LENGTH] > 0:
            ranking = ranking[: self.config[RANKING_LENGTH]]
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
