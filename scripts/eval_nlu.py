"""NLU report: train (or reuse) the Rasa NLU model, evaluate it on the held-out set, compare a baseline.

Run from the repository root:
    PYTHONPATH=. .venv/bin/python scripts/eval_nlu.py [--model models/aliexpress.tar.gz] [--no-cv]

Writes reports/nlu/report.md, report.json and confusion_matrix.png:
* held-out set (tests/nlu/heldout.yml, never trained on): accuracy, macro F1, per-intent
  precision/recall/F1, share of out-of-scope lines caught (predicted nlu_fallback or out_of_scope),
  share of in-scope lines that fall back, entity recall of the annotated inform lines;
* the same figures for a baseline: character n-gram TF-IDF + logistic regression (scikit-learn),
  trained on the same data/nlu examples (normalized by the same ChineseTextNormalizer), whose
  fallback threshold and ambiguity threshold are chosen by the rule scripts/tune_fallback.py uses for
  the pipeline (5-fold out-of-fold predictions on the training data, most out-of-scope caught with at
  most 2 % in-scope fallback), on a grid from 0 since its probabilities spread over 28 classes;
* 5-fold stratified cross-validation on data/nlu for both (--cv, on by default).
Scoring: for an out_of_scope line, out_of_scope and nlu_fallback are both correct, so the two are one
class ("out_of_scope") in accuracy, F1 and the confusion matrix; an in-scope line that falls back is
an error.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from scripts.tune_fallback import out_of_fold_predictions, rates  # noqa: E402
from tests.nlu.heldout import (  # noqa: E402
    FALLBACK,
    HELDOUT,
    OUT_OF_SCOPE,
    TRAINING_DIR,
    labelled,
    load_heldout,
    load_training,
)

EXTRACTOR = "SpacyRuleEntityExtractor"
NEAR_DUPLICATE = 0.85  # difflib ratio above which a held-out line is "near" a training line
MAX_IN_SCOPE_FALLBACK = 0.02  # the same budget scripts/tune_fallback.py uses for the pipeline
Prediction = Dict[str, Any]


def parse_batch(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    """Parses all texts in one run of the model's NLU graph (in-process, rasa Agent)."""
    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = Agent.load(str(model)).processor
    target = processor.model_metadata.nlu_target
    results = processor.graph_runner.run(
        inputs={
            PLACEHOLDER_MESSAGE: [UserMessage(text, sender_id="eval") for text in texts],
            PLACEHOLDER_TRACKER: DialogueStateTracker("eval", []),
        },
        targets=[target],
    )
    return [message.as_dict(only_output_properties=True) for message in results[target]]


def scored(gold: str, predicted: str) -> str:
    """The class a prediction is scored as: nlu_fallback and out_of_scope are one class."""
    return OUT_OF_SCOPE if predicted in (FALLBACK, OUT_OF_SCOPE) else predicted


def figures(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, Any]:
    """Accuracy, macro F1, per-intent P/R/F1 and the fallback rates of one set of predictions."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    merged = [scored(g, p) for g, p in zip(gold, predicted)]
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, merged, labels=labels, zero_division=0
    )
    in_scope = [p for g, p in zip(gold, predicted) if g != OUT_OF_SCOPE]
    oos = [p for g, p in zip(gold, predicted) if g == OUT_OF_SCOPE]
    return {
        "lines": len(gold),
        "accuracy": float(accuracy_score(gold, merged)),
        "macro_f1": float(np.mean(f1)),
        "oos_caught": sum(p in (FALLBACK, OUT_OF_SCOPE) for p in oos) / max(len(oos), 1),
        "in_scope_fallback": sum(p == FALLBACK for p in in_scope) / max(len(in_scope), 1),
        "in_scope_rejected": sum(p in (FALLBACK, OUT_OF_SCOPE) for p in in_scope)
        / max(len(in_scope), 1),
        "per_intent": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
    }


def entity_recall(heldout_messages: Sequence[Any], parsed: Sequence[Dict[str, Any]]) -> Dict:
    """Share of the held-out entity annotations the spaCy extractor found (type and value)."""
    expected = found = 0
    misses = []
    for message, result in zip(heldout_messages, parsed):
        got = {(e["entity"], str(e["value"])) for e in result.get("entities", [])
               if e.get("extractor") == EXTRACTOR}
        for entity in message.get("entities") or []:
            expected += 1
            if (entity["entity"], str(entity["value"])) in got:
                found += 1
            else:
                misses.append({"text": message.get("text"), "entity": entity["entity"],
                               "value": entity["value"], "got": sorted(got)})
    return {"annotated": expected, "found": found, "recall": found / max(expected, 1),
            "misses": misses}


def novel(texts: Sequence[str], train_texts: Sequence[str]) -> List[bool]:
    """True for held-out lines with no training line of difflib ratio >= NEAR_DUPLICATE."""
    import difflib

    from tests.nlu.heldout import comparable

    seen = [comparable(t) for t in train_texts]
    return [not difflib.get_close_matches(comparable(t), seen, n=1, cutoff=NEAR_DUPLICATE)
            for t in texts]


def subset(values: Sequence[Any], mask: Sequence[bool]) -> List[Any]:
    """The values where mask is True."""
    return [v for v, keep in zip(values, mask) if keep]


def fallback_settings(config_path: Path) -> Tuple[float, float]:
    """The FallbackClassifier threshold and ambiguity threshold of config.yml."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    step = next(s for s in config["pipeline"] if s["name"] == "FallbackClassifier")
    return float(step.get("threshold", 0.3)), float(step.get("ambiguity_threshold", 0.1))


def choose_thresholds(predictions: Sequence[Prediction]) -> Tuple[float, float]:
    """scripts/tune_fallback.py's rule on a grid fine enough for any classifier's probabilities:
    most out-of-scope caught with in-scope fallback within the budget; ties → higher thresholds."""
    best: Tuple[Tuple[float, float, float], float, float] = ((-1.0, 0.0, 0.0), 0.0, 0.0)
    for t_step in range(0, 96):
        for a_step in range(0, 31):
            threshold, ambiguity = t_step / 100, a_step / 100
            result = rates(list(predictions), threshold, ambiguity)
            if result["in_scope_fallback"] > MAX_IN_SCOPE_FALLBACK:
                continue
            key = (result["oos_caught"], threshold, ambiguity)
            if key > best[0]:
                best = (key, threshold, ambiguity)
    return best[1], best[2]


def apply_fallback(predictions: Sequence[Prediction], threshold: float, ambiguity: float) -> List[str]:
    """FallbackClassifier's rule on ranked predictions (top1 < t or top1 - top2 < a)."""
    return [
        FALLBACK if p["top1"] < threshold or p["top1"] - p["top2"] < ambiguity else p["predicted"]
        for p in predictions
    ]


class Baseline:
    """Character n-gram TF-IDF + logistic regression with a tuned fallback threshold."""

    def __init__(self, seed: int) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=3000, random_state=seed),
        )
        self.seed = seed
        self.threshold = 0.0
        self.ambiguity = 0.0

    @staticmethod
    def ranked(probabilities: np.ndarray, classes: Sequence[str], texts: Sequence[str],
               gold: Sequence[str]) -> List[Prediction]:
        """Top-1 intent, top-1 and top-2 probability per line (the tune_fallback format)."""
        order = np.argsort(-probabilities, axis=1)
        return [
            {"text": t, "intent": g, "predicted": classes[o[0]],
             "top1": float(p[o[0]]), "top2": float(p[o[1]]) if len(o) > 1 else 0.0}
            for t, g, p, o in zip(texts, gold, probabilities, order)
        ]

    def out_of_fold(self, texts: Sequence[str], gold: Sequence[str], folds: int) -> List[Prediction]:
        """Out-of-fold ranked predictions on the training data (stratified K folds)."""
        from sklearn.base import clone
        from sklearn.model_selection import StratifiedKFold

        predictions: List[Prediction] = [{}] * len(texts)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
        for train, test in splitter.split(texts, gold):
            model = clone(self.model).fit([texts[i] for i in train], [gold[i] for i in train])
            ranked = self.ranked(model.predict_proba([texts[i] for i in test]), model.classes_,
                                 [texts[i] for i in test], [gold[i] for i in test])
            for index, prediction in zip(test, ranked):
                predictions[index] = prediction
        return predictions

    def fit(self, texts: Sequence[str], gold: Sequence[str], folds: int) -> List[Prediction]:
        """Chooses the thresholds on out-of-fold predictions, then fits on all the data."""
        oof = self.out_of_fold(texts, gold, folds)
        self.threshold, self.ambiguity = choose_thresholds(oof)
        self.model.fit(texts, gold)
        return oof

    def predict(self, texts: Sequence[str]) -> List[str]:
        """Intent per text, nlu_fallback under the thresholds."""
        ranked = self.ranked(self.model.predict_proba(texts), self.model.classes_, texts,
                             [""] * len(texts))
        return apply_fallback(ranked, self.threshold, self.ambiguity)


def confusion_png(gold: Sequence[str], predicted: Sequence[str], path: Path, title: str) -> None:
    """Confusion matrix picture (rows: true intent, columns: predicted; fallback → out_of_scope)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold))
    merged = [scored(g, p) for g, p in zip(gold, predicted)]
    extra = sorted(set(merged) - set(labels))
    columns = labels + extra
    matrix = confusion_matrix(gold, merged, labels=columns)[: len(labels)]
    fig, ax = plt.subplots(figsize=(14, 12))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for (row, col), value in np.ndenumerate(matrix):
        if value:
            ax.text(col, row, str(value), ha="center", va="center", fontsize=7,
                    color="white" if value > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted (nlu_fallback counted as out_of_scope)")
    ax.set_ylabel("true intent")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train_model(config: Path, data: Path, out_dir: Path) -> Path:
    """Trains the NLU model of config.yml on data/nlu."""
    from rasa.model_training import train_nlu

    model = train_nlu(str(config), str(data), str(out_dir), fixed_model_name="nlu-eval")
    if not model:
        raise SystemExit("NLU training failed")
    return Path(model)


def normalized(texts: Sequence[str]) -> List[str]:
    """The texts as the pipeline sees them after ChineseTextNormalizer."""
    from components.normalizer import normalize

    return [normalize(text).text for text in texts]


def errors(texts: Sequence[str], gold: Sequence[str], predicted: Sequence[str],
           confidence: Sequence[float]) -> List[Dict[str, Any]]:
    """The held-out lines scored wrong."""
    return [
        {"text": t, "intent": g, "predicted": p, "confidence": round(c, 3)}
        for t, g, p, c in zip(texts, gold, predicted, confidence) if scored(g, p) != g
    ]


def row(name: str, f: Dict[str, Any]) -> str:
    """One line of the summary table."""
    return (f"| {name} | {f['lines']} | {f['accuracy']:.3f} | {f['macro_f1']:.3f} | "
            f"{f['oos_caught']:.3f} | {f['in_scope_fallback']:.3f} | {f['in_scope_rejected']:.3f} |")


def markdown(report: Dict[str, Any]) -> str:
    """The human-readable report."""
    rasa_h, base_h = report["heldout"]["rasa"], report["heldout"]["baseline"]
    lines = [
        "# NLU evaluation report", "",
        f"Generated {report['generated']} by `{report['command']}` (commit {report['commit']}).",
        f"Model: `{report['model']}`. Training lines: {report['training_lines']}; held-out lines: "
        f"{rasa_h['lines']} (`tests/nlu/heldout.yml`, never trained on).",
        f"Pipeline fallback: threshold {report['fallback']['threshold']}, ambiguity "
        f"{report['fallback']['ambiguity']}. Baseline fallback (chosen on its 5-fold out-of-fold "
        f"training predictions, <= {MAX_IN_SCOPE_FALLBACK:.0%} in-scope fallback): threshold "
        f"{report['baseline_fallback']['threshold']}, ambiguity {report['baseline_fallback']['ambiguity']}.",
        "", "Out-of-scope lines count as correct when predicted out_of_scope or nlu_fallback; "
        "in-scope lines that fall back count as errors.", "",
        "| model / set | lines | accuracy | macro F1 | out-of-scope caught | in-scope fallback "
        "| in-scope → fallback or out_of_scope |",
        "|---|---|---|---|---|---|---|",
        row("Rasa pipeline, held-out", rasa_h),
        row("baseline TF-IDF + LR, held-out", base_h),
        row("Rasa pipeline, held-out without near-duplicate", report["heldout"]["rasa_novel"]),
        row("baseline, held-out without near-duplicate", report["heldout"]["baseline_novel"]),
    ]
    for name, key in (("Rasa pipeline", "rasa"), ("baseline TF-IDF + LR", "baseline")):
        if report.get("cv", {}).get(key):
            lines.append(row(f"{name}, {report['cv']['folds']}-fold CV on data/nlu", report["cv"][key]))
    entities = report["heldout"]["entities"]
    lines += [
        "", f"\"Without near-duplicate\": held-out lines with no data/nlu line of difflib ratio >= "
        f"{NEAR_DUPLICATE} after normalization ({report['heldout']['rasa_novel']['lines']} of "
        f"{rasa_h['lines']}).",
        "", f"Entities (spaCy extractor) on the annotated held-out lines: {entities['found']}/"
        f"{entities['annotated']} found (recall {entities['recall']:.3f}).", "",
        "Targets: accuracy >= 0.95, macro F1 >= 0.93, out-of-scope caught >= 0.90, in-scope "
        "fallback <= 0.03, macro F1 above the baseline.", "",
        "![confusion matrix](confusion_matrix.png)", "",
        "## Per intent (held-out)", "",
        "| intent | support | Rasa P | Rasa R | Rasa F1 | baseline P | baseline R | baseline F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for intent, r in rasa_h["per_intent"].items():
        b = base_h["per_intent"][intent]
        lines.append(f"| {intent} | {r['support']} | {r['precision']:.2f} | {r['recall']:.2f} | "
                     f"{r['f1']:.2f} | {b['precision']:.2f} | {b['recall']:.2f} | {b['f1']:.2f} |")
    lines += ["", "## Held-out errors of the Rasa pipeline", "",
              "| text | intent | predicted | confidence |", "|---|---|---|---|"]
    lines += [f"| {e['text']} | {e['intent']} | {e['predicted']} | {e['confidence']} |"
              for e in report["heldout"]["rasa_errors"]]
    if entities["misses"]:
        lines += ["", "## Entity misses", ""]
        lines += [f"- {m['text']}: {m['entity']}={m['value']} (got {m['got']})"
                  for m in entities["misses"]]
    return "\n".join(lines) + "\n"


def cross_validation(config: Path, data: Path, texts: List[str], gold: List[str], folds: int,
                     seed: int, threshold: float, ambiguity: float) -> Dict[str, Any]:
    """K-fold figures: Rasa out-of-fold (config thresholds applied) and the baseline's."""
    oof = out_of_fold_predictions(config, data, folds, seed)
    rasa_cv = figures([p["intent"] for p in oof], apply_fallback(oof, threshold, ambiguity))
    baseline = Baseline(seed)
    base_oof = baseline.out_of_fold(normalized(texts), gold, folds)
    base_t, base_a = choose_thresholds(base_oof)
    base_cv = figures(gold, apply_fallback(base_oof, base_t, base_a))
    return {"folds": folds, "rasa": rasa_cv, "baseline": base_cv}


def main() -> None:
    """Parse arguments, evaluate, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="reuse this trained model instead of training")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", type=Path, default=TRAINING_DIR)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--cv", action=argparse.BooleanOptionalAction, default=True,
                        help="5-fold cross-validation figures (trains one model per fold)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    logging.getLogger("rasa").setLevel(logging.WARNING)
    started = time.time()
    args.out.mkdir(parents=True, exist_ok=True)

    training = labelled(load_training(args.data))
    train_texts, train_gold = [t for t, _ in training], [i for _, i in training]
    heldout = load_heldout(args.heldout)
    messages = heldout.intent_examples
    texts, gold = [m.get("text") for m in messages], [m.get("intent") for m in messages]

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or train_model(args.config, args.data, Path(tmp))
        parsed = parse_batch(model, texts)
    predicted = [p["intent"]["name"] or FALLBACK for p in parsed]
    confidence = [float(p["intent"].get("confidence") or 0.0) for p in parsed]

    baseline = Baseline(args.seed)
    baseline.fit(normalized(train_texts), train_gold, args.folds)
    base_predicted = baseline.predict(normalized(texts))
    threshold, ambiguity = fallback_settings(args.config)
    fresh = novel(texts, train_texts)

    report: Dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["scripts/eval_nlu.py", *sys.argv[1:]]),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "model": str(args.model) if args.model else "trained by this run",
        "training_lines": len(training),
        "fallback": {"threshold": threshold, "ambiguity": ambiguity},
        "baseline_fallback": {"threshold": baseline.threshold, "ambiguity": baseline.ambiguity},
        "heldout": {
            "rasa": figures(gold, predicted),
            "baseline": figures(gold, base_predicted),
            "rasa_novel": figures(subset(gold, fresh), subset(predicted, fresh)),
            "baseline_novel": figures(subset(gold, fresh), subset(base_predicted, fresh)),
            "entities": entity_recall(messages, parsed),
            "rasa_errors": errors(texts, gold, predicted, confidence),
        },
    }
    if args.cv:
        report["cv"] = cross_validation(args.config, args.data, train_texts, train_gold,
                                        args.folds, args.seed, threshold, ambiguity)
    report["seconds"] = round(time.time() - started)

    confusion_png(gold, predicted, args.out / "confusion_matrix.png",
                  "Rasa NLU on the held-out set")
    (args.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
    (args.out / "report.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report).split("![")[0])
    print(f"written to {args.out} in {report['seconds']} s")


if __name__ == "__main__":
    main()
