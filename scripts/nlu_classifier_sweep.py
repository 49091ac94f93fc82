"""Classifier variants on the exact features of a trained model (evaluation only; issue 12).

Run from the repository root, after scripts/build_real_phrasing.py and scripts/train.sh:
    PYTHONPATH=. .venv/bin/python scripts/nlu_classifier_sweep.py [--model models/aliexpress.tar.gz]

The model's own featurizers (normalizer, jieba, regex, word/char/pinyin counts) give the sentence
features of the data/nlu lines, the held-out set and the real-phrasing set; scikit-learn classifiers
are then fitted on the training rows only and scored as scripts/eval_nlu.py scores a pipeline
(its figures() and family rules), at several fallback thresholds. So the classifier, its
regularisation, class balance, ensembles and confidence rules are compared in seconds, on the same
features, without retraining the pipeline. Rows: held-out accuracy | real-phrasing report split
strict, family, in-scope fallback, out-of-scope caught | the same on the tune split | the same on
the round-27 set (guided since round 28). The untuned round-28 set is never scored here: no
threshold or classifier may be chosen on it.
Variants: the pipeline's own logistic regression (liblinear one-vs-rest, binary features, balanced
classes) at C 2/4/8 and without class balance; multinomial (lbfgs) logistic regression; a calibrated
linear SVM and multinomial naive Bayes alone and averaged with the regression; message-length
buckets as extra features; the unnormalized one-vs-rest score as a second fallback rule.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.sparse import csr_matrix, hstack, vstack  # noqa: E402

from scripts import eval_nlu  # noqa: E402
from tests.nlu.heldout import HELDOUT, labelled, load_heldout, load_training  # noqa: E402

THRESHOLDS = (0.35, 0.39, 0.46, 0.50)


def features(model: Path, texts: Sequence[str]) -> csr_matrix:
    """The classifier's input rows (unscaled) for the texts, from the model's featurizers."""
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    from components.logistic_regression import LogisticRegressionIntentClassifier, has_sentence_features

    processor = eval_nlu.load_processor(model)
    nodes = list(processor.graph_runner._graph_schema.nodes)
    classifier = next(n for n in nodes if "LogisticRegressionIntentClassifier" in n)
    last_featurizer = nodes[nodes.index(classifier) - 1]
    messages = processor.graph_runner.run(
        inputs={PLACEHOLDER_MESSAGE: [UserMessage(t, sender_id="sweep") for t in texts],
                PLACEHOLDER_TRACKER: DialogueStateTracker("sweep", [])},
        targets=[last_featurizer])[last_featurizer]
    builder = LogisticRegressionIntentClassifier(
        {**LogisticRegressionIntentClassifier.get_default_config(), "scaling": "none"}, None, None, None)
    featured = [has_sentence_features(m) for m in messages]
    matrix = builder._create_X([m for m, keep in zip(messages, featured) if keep]).tocsr()
    rows, index = [], 0
    for keep in featured:  # an emoji-only line has no features: an empty row
        rows.append(matrix[index] if keep else csr_matrix((1, matrix.shape[1])))
        index += keep
    return vstack(rows).tocsr()


def binary(matrix: csr_matrix) -> csr_matrix:
    """Presence features, as `scaling: binary`."""
    matrix = matrix.copy().astype(np.float64)
    matrix.data = np.minimum(np.abs(matrix.data), 1.0) * np.sign(matrix.data)
    return matrix


def length_buckets(texts: Sequence[str], edges: Sequence[int] = (0, 3, 6, 11, 21, 10_000)) -> csr_matrix:
    """One-hot bucket of the message's length in characters."""
    lengths = [len(re.sub(r"\s", "", text or "")) for text in texts]
    return csr_matrix(np.array([[float(low <= n < high) for low, high in zip(edges[:-1], edges[1:])]
                                for n in lengths]))


def predictions(probabilities: np.ndarray, classes: np.ndarray, threshold: float,
                claimed: np.ndarray = None, claim_floor: float = 0.0) -> List[str]:
    """Top intent, nlu_fallback under the threshold (or when no class claims the line)."""
    top = probabilities.argmax(axis=1)
    confident = probabilities[np.arange(len(top)), top] >= threshold
    if claimed is not None:
        confident &= claimed >= claim_floor
    return [classes[t] if ok else eval_nlu.FALLBACK for t, ok in zip(top, confident)]


def line(name: str, sets: Dict[str, Tuple[List[str], np.ndarray]], classes: np.ndarray,
         threshold: float, claimed: Dict[str, np.ndarray] = None, claim_floor: float = 0.0) -> str:
    """One row of the table: held-out accuracy, report, tune split and guided set figures."""
    cells = []
    for key in ("held", "report", "tune", "guided"):
        gold, probabilities = sets[key]
        predicted = predictions(probabilities, classes, threshold,
                                claimed[key] if claimed else None, claim_floor)
        f = eval_nlu.real_figures(gold, predicted)
        cells.append(f"{f['accuracy']:.3f}" if key == "held" else
                     f"{f['accuracy']:.3f} {f['family_accuracy']:.3f} {f['in_scope_fallback']:.3f} "
                     f"{f['oos_caught']:.3f}")
    return f"| {name} | {threshold:.2f} | " + " | ".join(cells) + " |"


def main() -> None:
    """Extract the features once, fit and score each variant."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.svm import LinearSVC

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "aliexpress.tar.gz")
    parser.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS)
    parser.add_argument("--quick", action="store_true",
                        help="the pipeline's own regression (C 2 / 4 / 8) only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("rasa").setLevel(logging.WARNING)
    training = labelled(load_training())
    heldout = load_heldout(HELDOUT).intent_examples
    # Round 26's tune / report lines, then round 27's (split `guided`); never round 28's.
    real = eval_nlu.load_real_set(eval_nlu.REAL_SET) + eval_nlu.load_real_set(eval_nlu.REAL_SET, "guided")
    if not real:
        raise SystemExit("build the real-phrasing set first (scripts/build_real_phrasing.py)")
    texts = {"train": [t for t, _ in training], "held": [m.get("text") for m in heldout],
             "real": [e["text"] for e in real]}
    gold = {"train": np.array([i for _, i in training]),
            "held": [m.get("intent") for m in heldout], "real": [e["intent"] for e in real]}
    raw = {key: features(args.model, value) for key, value in texts.items()}
    split = np.array([e["split"] for e in real])

    def by_set(probabilities: Callable[[str], np.ndarray]) -> Dict[str, Tuple[List[str], np.ndarray]]:
        real_probabilities = probabilities("real")
        return {"held": (gold["held"], probabilities("held")),
                **{name: ([g for g, s in zip(gold["real"], split) if s == name],
                          real_probabilities[split == name]) for name in ("report", "tune", "guided")}}

    def fitted(model):
        return model.fit(binary(raw["train"]), gold["train"])

    print("| variant | threshold | held-out acc | report: strict family fallback oos | "
          "tune: strict family fallback oos | round 27 (guided): strict family fallback oos |\n"
          "|---|---|---|---|---|---|")
    variants = {f"one-vs-rest LR C {c}{'' if balance else ', no class balance'}":
                LogisticRegression(solver="liblinear", C=c, max_iter=100, random_state=42,
                                   class_weight="balanced" if balance else None)
                for c, balance in ((4, True), (2, True), (8, True), (4, False))}
    variants["multinomial LR C 4 (lbfgs)"] = LogisticRegression(
        solver="lbfgs", C=4, max_iter=300, random_state=42, class_weight="balanced")
    variants["linear SVM, calibrated"] = CalibratedClassifierCV(
        LinearSVC(C=0.5, class_weight="balanced"), cv=3)
    variants["multinomial naive Bayes"] = MultinomialNB(alpha=0.1)
    if args.quick:
        variants = {name: model for name, model in variants.items() if name.startswith("one-vs-rest")
                    and "no class" not in name}
    probabilities = {}
    for name, model in variants.items():
        model = fitted(model)
        probabilities[name] = {key: model.predict_proba(binary(raw[key])) for key in ("held", "real")}
        classes = model.classes_
        for threshold in args.thresholds:
            print(line(name, by_set(lambda key: probabilities[name][key]), classes, threshold))
    if args.quick:
        return
    lr = "one-vs-rest LR C 4"
    for other, weight in (("linear SVM, calibrated", 0.3), ("multinomial naive Bayes", 0.3)):
        for threshold in args.thresholds:
            print(line(f"LR + {other} ({weight})", by_set(
                lambda key: (1 - weight) * probabilities[lr][key] + weight * probabilities[other][key]),
                classes, threshold))
    with_length = LogisticRegression(solver="liblinear", C=4, max_iter=100, random_state=42,
                                     class_weight="balanced")
    stacked = {key: hstack([binary(raw[key]), length_buckets(texts[key])]).tocsr() for key in raw}
    with_length.fit(stacked["train"], gold["train"])
    for threshold in args.thresholds:
        print(line("LR C 4 + length buckets", by_set(
            lambda key: with_length.predict_proba(stacked[key])), classes, threshold))
    base = variants[lr]
    scores = {key: 1 / (1 + np.exp(-base.decision_function(binary(raw[key])))) for key in ("held", "real")}
    claimed = {"held": scores["held"].max(axis=1), "report": scores["real"][split == "report"].max(axis=1),
               "tune": scores["real"][split == "tune"].max(axis=1),
               "guided": scores["real"][split == "guided"].max(axis=1)}
    for floor in (0.2, 0.3):
        print(line(f"LR C 4, fallback also when no one-vs-rest score >= {floor}",
                   by_set(lambda key: probabilities[lr][key]), classes, 0.46, claimed, floor))


if __name__ == "__main__":
    main()
