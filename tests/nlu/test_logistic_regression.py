"""LogisticRegressionIntentClassifier: trained on a few featurized lines (no Rasa model)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.logistic_regression import LogisticRegressionIntentClassifier

VECTORS = {"refund": [1, 0, 0], "greet": [0, 1, 0], "thank": [0, 0, 1]}


def message(vector=None, intent=None) -> Message:
    """A message with one sparse sentence feature row (or none, like an emoji-only text)."""
    result = Message(data={"text": "x", **({"intent": intent} if intent else {})})
    if vector is not None:
        result.add_features(Features(scipy.sparse.coo_matrix(np.array([vector])), "sentence",
                                     "text", "test"))
    return result


def classifier(tmp_path, **config) -> LogisticRegressionIntentClassifier:
    component = LogisticRegressionIntentClassifier.create(
        {**LogisticRegressionIntentClassifier.get_default_config(), **config},
        LocalModelStorage(tmp_path), Resource("lr"), ExecutionContext(GraphSchema({}), "test"))
    lines = [message(vector, intent) for intent, vector in VECTORS.items() for _ in range(5)]
    component.train(TrainingData(lines))
    return component


def test_featureless_message_gets_an_empty_intent_and_others_are_classified(tmp_path) -> None:
    empty, refund = message(), message(VECTORS["refund"])
    classifier(tmp_path, C=10.0).process([empty, refund])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}
    assert empty.get("intent_ranking") == []
    assert refund.get("intent")["name"] == "refund"


@pytest.mark.parametrize("weight, expected", [(0.0, "refund"), (0.9, "thank")])
def test_previous_ranking_is_blended_by_weight(tmp_path, weight: float, expected: str) -> None:
    line = message(VECTORS["refund"])
    line.set("intent_ranking", [{"name": "thank", "confidence": 1.0}])
    classifier(tmp_path, previous_weight=weight).process([line])
    ranking = line.get("intent_ranking")
    assert line.get("intent")["name"] == expected == ranking[0]["name"]
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)


@pytest.mark.parametrize("scaling", ["log_l2", "binary"])
def test_scaling_gives_long_and_short_messages_the_same_confidence(tmp_path, scaling: str) -> None:
    """With scaling a message repeating its words (a long rambling one) is not more confident
    than the short one; without it the repeated counts push the confidence up."""
    short, long = message([1, 0, 0]), message([9, 0, 0])
    (tmp_path / "scaled").mkdir()
    (tmp_path / "raw").mkdir()
    classifier(tmp_path / "scaled", scaling=scaling, C=10.0).process([short, long])
    assert short.get("intent")["confidence"] == pytest.approx(long.get("intent")["confidence"])
    short, long = message([1, 0, 0]), message([9, 0, 0])
    classifier(tmp_path / "raw", C=10.0).process([short, long])
    assert long.get("intent")["confidence"] > short.get("intent")["confidence"]


def test_binary_scaling_keeps_presence_and_drops_counts(tmp_path) -> None:
    """scaling: binary turns every count above 1 into 1 and leaves zeros and ones as they are."""
    component = classifier(tmp_path, scaling="binary")
    counts = scipy.sparse.csr_matrix(np.array([[3, 0, 1], [0, 7, 0]]))
    assert component._scaled(counts).toarray().tolist() == [[1, 0, 1], [0, 1, 0]]


def test_unknown_scaling_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError):
        classifier(tmp_path, scaling="l1")


def test_feature_matrix_is_rasas(tmp_path) -> None:
    """Several featurizers' sentence rows (sparse and dense) give Rasa's matrix, value for value."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    def featurized(first, second, dense) -> Message:
        line = message(first)
        line.add_features(Features(scipy.sparse.coo_matrix(np.array([second])), "sentence", "text", "other"))
        line.add_features(Features(scipy.sparse.coo_matrix(np.array([[5]])), "sequence", "text", "other"))
        line.add_features(Features(np.array([dense]), "sentence", "text", "dense"))
        return line

    lines = [featurized([1, 0, 2], [0, 3], [0.5, 0.25]), featurized([0, 1, 0], [4, 0], [0.0, 1.0])]
    component = classifier(tmp_path)
    ours, rasas = component._create_X(lines), LogisticRegressionClassifier._create_X(component, lines)
    assert ours.shape == rasas.shape == (2, 7)
    assert ours.dtype == rasas.dtype
    assert (ours != rasas).nnz == 0


@pytest.mark.parametrize("seed", range(40))
def test_stacked_rows_are_scipys_entry_for_entry(seed: int) -> None:
    """`stacked` gives the CSR matrix scipy's hstack per message, vstack over them and `tocsr()`
    give: the same shape, dtype, index arrays (values and dtypes) and entries in the same order (so
    the same sums in the classifier), also for blocks with unsorted or repeated columns, explicit
    zeros, or no entries at all."""
    from components.logistic_regression import stacked

    rng = np.random.default_rng(seed)
    widths = rng.integers(0, 6, size=rng.integers(1, 5))
    dtypes = [rng.choice([np.int64, np.float64, np.int32]) for _ in widths]

    def block(width: int, dtype: type) -> scipy.sparse.spmatrix:
        if seed % 3 == 2 and width:  # entries as triplets in any order, columns repeated, zeros kept
            count = rng.integers(0, 2 * width)
            return scipy.sparse.coo_matrix((rng.integers(0, 3, count).astype(dtype),
                                            (np.zeros(count, dtype=np.int32), rng.integers(0, width, count).astype(np.int32))),
                                           shape=(1, width))
        return scipy.sparse.coo_matrix((rng.random((1, width)) < 0.5) * rng.integers(1, 4, (1, width)), dtype=dtype)

    rows = [[*(block(width, dtype) for width, dtype in zip(widths, dtypes)), scipy.sparse.csr_matrix([])]
            for _ in range(rng.integers(1, 4))]
    ours = stacked(rows)
    scipys = scipy.sparse.vstack([scipy.sparse.hstack(blocks) for blocks in rows]).tocsr()
    assert type(ours) is type(scipys)
    assert ours.shape == scipys.shape and ours.dtype == scipys.dtype
    assert ours.has_canonical_format == scipys.has_canonical_format
    for field in ("indptr", "indices", "data"):
        assert getattr(ours, field).dtype == getattr(scipys, field).dtype, field
        assert np.array_equal(getattr(ours, field), getattr(scipys, field)), field
