"""Tune the FallbackClassifier thresholds of config.yml on the NLU training data only.

config.yml's thresholds are now chosen on the `tune` split of the real-phrasing set by
scripts/eval_nlu.py (eval/HANDOFF.md); this script gives the cross-validated view of a pipeline.

How the numbers are chosen
--------------------------
1. The training data (data/nlu) is split into K stratified folds (default 5, fixed seed). For each
   fold the pipeline of config.yml *without* its FallbackClassifier is trained on the other folds
   and parses the held-back fold, so every training line gets an out-of-fold DIET intent ranking
   (top-1 intent, top-1 confidence, top-2 confidence). The held-out test set in tests/nlu is never
   read.
2. For every pair (threshold t, ambiguity a) on a grid, a line falls back when
   ``top1 < t`` or ``top1 - top2 < a`` (exactly FallbackClassifier's rule). Measured:
   * correct lost: share of in-scope lines (true intent not out_of_scope) that DIET classified
     *correctly* but that fall back -- the real cost of a threshold;
   * in-scope fallback: share of all in-scope lines that fall back (includes misclassified lines,
     for which a fallback is better than a wrong answer);
   * out-of-scope caught: share of out_of_scope lines that fall back or are predicted out_of_scope.
3. The pair with the best balance J = out-of-scope caught - correct lost wins (Youden's J with the
   correctly understood in-scope lines as the negative class: an out-of-scope line answered as if
   it were in scope and a correctly understood line thrown away cost the same), among pairs with
   correct lost <= ``--max-lost`` (default 0.06); ties go to the lower threshold, then the lower
   ambiguity threshold.
   Why not "in-scope fallback <= 3 %" directly: cross-validated accuracy on this deliberately hard
   training set (bare fragments, typos, English, one-off phrasings) is about 0.87, far below the
   held-out target, and its misclassified lines are low-confidence, so the cross-validated
   in-scope fallback is above 3 % at every useful threshold. The 3 % limit is checked where it
   applies, on the independent held-out set (scripts/eval_nlu.py).

Out-of-fold predictions are cached in JSON (``--predictions``) so the grid search can be re-run
without training (``--reuse``). Run from the repository root:
``PYTHONPATH=. .venv/bin/python scripts/tune_fallback.py [--folds 5]``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

OUT_OF_SCOPE = "out_of_scope"
Prediction = Dict[str, object]


def stratified_folds(
    examples: List[Tuple[str, str]], folds: int, seed: int
) -> List[List[Tuple[str, str]]]:
    """Split (text, intent) pairs into ``folds`` parts with each intent spread evenly."""
    by_intent: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append((text, intent))
    parts: List[List[Tuple[str, str]]] = [[] for _ in range(folds)]
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        items = by_intent[intent]
        rng.shuffle(items)
        for index, item in enumerate(items):
            parts[index % folds].append(item)
    return parts


def config_without_fallback(config_path: Path, target: Path) -> None:
    """Write a copy of the config whose pipeline has no FallbackClassifier."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["pipeline"] = [
        step for step in config["pipeline"] if step["name"] != "FallbackClassifier"
    ]
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def out_of_fold_predictions(
    config_path: Path, data_dir: Path, folds: int, seed: int
) -> List[Prediction]:
    """Train on K-1 folds, parse the remaining fold, for every fold."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(data_dir))
    examples = [(m.get("text"), m.get("intent")) for m in data.intent_examples]
    parts = stratified_folds(examples, folds, seed)
    predictions: List[Prediction] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "config.yml"
        config_without_fallback(config_path, config)
        for fold, test_part in enumerate(parts):
            held = {text for text, _ in test_part}
            train = TrainingData(
                training_examples=[m for m in data.intent_examples if m.get("text") not in held],
                regex_features=data.regex_features,
                lookup_tables=data.lookup_tables,
                entity_synonyms=data.entity_synonyms,
            )
            train_file = work / f"train_{fold}.yml"
            train_file.write_text(train.nlu_as_yaml(), encoding="utf-8")
            model = train_nlu(str(config), str(train_file), str(work / "models"),
                              fixed_model_name=f"fold{fold}")
            agent = Agent.load(model)
            for text, intent in test_part:
                parsed = asyncio.run(agent.parse_message(text))
                ranking = parsed.get("intent_ranking") or [parsed["intent"]]
                top2 = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
                predictions.append({
                    "text": text, "intent": intent, "predicted": ranking[0]["name"],
                    "top1": float(ranking[0]["confidence"]), "top2": float(top2),
                })
            print(f"fold {fold + 1}/{folds}: {len(test_part)} lines parsed")
    return predictions


def rates(predictions: List[Prediction], threshold: float, ambiguity: float) -> Dict[str, float]:
    """Fallback and catch rates for one (threshold, ambiguity) pair, see the module docstring."""
    in_scope = [p for p in predictions if p["intent"] != OUT_OF_SCOPE]
    oos = [p for p in predictions if p["intent"] == OUT_OF_SCOPE]

    def falls_back(p: Prediction) -> bool:
        return p["top1"] < threshold or p["top1"] - p["top2"] < ambiguity

    total = max(len(in_scope), 1)
    return {
        "correct_lost": sum(falls_back(p) and p["predicted"] == p["intent"]
                            for p in in_scope) / total,
        "in_scope_fallback": sum(map(falls_back, in_scope)) / total,
        "oos_caught": sum(falls_back(p) or p["predicted"] == OUT_OF_SCOPE for p in oos)
        / max(len(oos), 1),
        "in_scope_accuracy": sum(not falls_back(p) and p["predicted"] == p["intent"]
                                 for p in in_scope) / total,
    }


def choose(predictions: List[Prediction], max_lost: float) -> Tuple[float, float, Dict]:
    """Grid-search the pair with the best J = oos_caught - correct_lost within the loss budget."""
    best: Tuple[Tuple[float, float, float], float, float, Dict] | None = None
    for t_step in range(5, 91, 5):
        for a_step in range(0, 31, 2):
            threshold, ambiguity = t_step / 100, a_step / 100
            result = rates(predictions, threshold, ambiguity)
            if result["correct_lost"] > max_lost:
                continue
            key = (round(result["oos_caught"] - result["correct_lost"], 9), -threshold, -ambiguity)
            if best is None or key > best[0]:
                best = (key, threshold, ambiguity, result)
    if best is None:
        raise SystemExit("no threshold pair keeps the lost correct lines within the budget")
    return best[1], best[2], best[3]


def main() -> None:
    """Parse arguments, collect (or reuse) out-of-fold predictions and print the choice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--data", type=Path, default=Path("data/nlu"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-lost", type=float, default=0.06)
    parser.add_argument("--predictions", type=Path, default=Path("var/fallback_predictions.json"))
    parser.add_argument("--reuse", action="store_true", help="reuse cached predictions")
    args = parser.parse_args()
    logging.getLogger("rasa").setLevel(logging.WARNING)

    if args.reuse and args.predictions.exists():
        predictions = json.loads(args.predictions.read_text(encoding="utf-8"))
    else:
        predictions = out_of_fold_predictions(args.config, args.data, args.folds, args.seed)
        args.predictions.parent.mkdir(parents=True, exist_ok=True)
        args.predictions.write_text(json.dumps(predictions, ensure_ascii=False, indent=1),
                                    encoding="utf-8")

    unthresholded = rates(predictions, 0.0, 0.0)
    print(f"{len(predictions)} out-of-fold predictions; without fallback: "
          f"in-scope accuracy {unthresholded['in_scope_accuracy']:.3f}, "
          f"out-of-scope caught {unthresholded['oos_caught']:.3f}")
    threshold, ambiguity, result = choose(predictions, args.max_lost)
    print(f"chosen threshold={threshold:.2f} ambiguity_threshold={ambiguity:.2f}: "
          f"correct lost {result['correct_lost']:.3f}, "
          f"in-scope fallback {result['in_scope_fallback']:.3f}, "
          f"out-of-scope caught {result['oos_caught']:.3f}, "
          f"in-scope accuracy {result['in_scope_accuracy']:.3f}")
    for threshold_row in (0.3, 0.4, 0.5, 0.6, 0.7):
        row = rates(predictions, threshold_row, ambiguity)
        print(f"  threshold {threshold_row:.2f}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    errors = [p for p in predictions if p["predicted"] != p["intent"]]
    for p in sorted(errors, key=lambda p: p["intent"]):
        print(f"  {p['intent']:>24} -> {p['predicted']:<24} {p['top1']:.2f}  {p['text']}")


if __name__ == "__main__":
    main()
