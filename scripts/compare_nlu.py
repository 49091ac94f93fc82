"""Compare candidate NLU pipelines (scripts/nlu_candidates/*.yml) on cross-validation of data/nlu.

For each candidate: K-fold out-of-fold predictions on data/nlu (the pipeline without its
FallbackClassifier), the fallback threshold chosen on them by ``choose_threshold`` (most
out-of-scope caught with in-scope fallback within ``--max-fallback``), the time to train the
NLU model on all of data/nlu and the median time of one ``Agent.parse_message`` call over the
held-out lines. Run from the repository root, one candidate at a time on a shared machine:

    PYTHONPATH=. .venv/bin/python scripts/compare_nlu.py scripts/nlu_candidates/diet.yml ...

Out-of-fold predictions go to var/compare/<candidate>.json so the table can be re-printed
without training (``--reuse``).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml

from scripts.tune_fallback import OUT_OF_SCOPE, out_of_fold_predictions, rates

FALLBACK = "nlu_fallback"
Prediction = Dict[str, Any]


def candidate_config(candidate: Path, base: Path, target: Path) -> None:
    """config.yml (language, recipe) with the candidate's pipeline, without FallbackClassifier."""
    config = yaml.safe_load(base.read_text(encoding="utf-8"))
    pipeline = yaml.safe_load(candidate.read_text(encoding="utf-8"))["pipeline"]
    config["pipeline"] = [step for step in pipeline if step["name"] != "FallbackClassifier"]
    config.pop("policies", None)
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def choose_threshold(predictions: Sequence[Prediction], max_fallback: float) -> float:
    """The threshold (ambiguity 0) catching most out-of-scope lines with in-scope fallback within
    the budget; ties go to the lower threshold."""
    best = (-1.0, 0.0)
    for step in range(0, 96):
        threshold = step / 100
        result = rates(list(predictions), threshold, 0.0)
        if result["in_scope_fallback"] <= max_fallback and result["oos_caught"] > best[0]:
            best = (result["oos_caught"], threshold)
    return best[1]


def strict_accuracy(predictions: Sequence[Prediction], threshold: float) -> float:
    """Share of lines scored right: out-of-scope lines may fall back, in-scope lines may not."""
    right = 0
    for p in predictions:
        predicted = FALLBACK if p["top1"] < threshold else p["predicted"]
        if p["intent"] == OUT_OF_SCOPE:
            right += predicted in (FALLBACK, OUT_OF_SCOPE)
        else:
            right += predicted == p["intent"]
    return right / max(len(predictions), 1)


def train_timed(config: Path, data: Path, out: Path) -> Tuple[Path, float]:
    """Trains the NLU model on all the data; returns its path and the seconds it took."""
    from rasa.model_training import train_nlu

    started = time.perf_counter()
    model = train_nlu(str(config), str(data), str(out), fixed_model_name="candidate")
    return Path(model), time.perf_counter() - started


def parse_latency_ms(model: Path, texts: Sequence[str]) -> float:
    """Median milliseconds of one Agent.parse_message call (after one warm-up call)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    asyncio.run(agent.parse_message("你好"))
    times = []
    for text in texts:
        started = time.perf_counter()
        asyncio.run(agent.parse_message(text))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def evaluate(candidate: Path, args: argparse.Namespace) -> Dict[str, Any]:
    """Cross-validation figures, training seconds and parse p50 of one candidate."""
    from tests.nlu.heldout import labelled, load_heldout

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yml"
        candidate_config(candidate, args.config, config)
        oof = out_of_fold_predictions(config, args.data, args.folds, args.seed)
        model, seconds = train_timed(config, args.data, Path(tmp) / "models")
        texts = [text for text, _ in labelled(load_heldout())]
        p50 = parse_latency_ms(model, texts)
    return {"candidate": candidate.stem, "oof": oof, "train_s": seconds, "parse_p50_ms": p50}


def row(result: Dict[str, Any], max_fallback: float) -> str:
    """One line of the comparison table."""
    oof = result["oof"]
    threshold = choose_threshold(oof, max_fallback)
    at = rates(oof, threshold, 0.0)
    return (f"| {result['candidate']} | {strict_accuracy(oof, 0.0):.3f} | {threshold:.2f} | "
            f"{strict_accuracy(oof, threshold):.3f} | {at['in_scope_fallback']:.3f} | "
            f"{at['oos_caught']:.3f} | {result['train_s']:.0f} | {result['parse_p50_ms']:.1f} |")


def main() -> None:
    """Evaluate (or reload) every candidate and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", type=Path, nargs="+")
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--data", type=Path, default=Path("data/nlu"))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-fallback", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=Path("var/compare"))
    parser.add_argument("--reuse", action="store_true", help="reuse saved results")
    args = parser.parse_args()
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)  # per-message debug lines would be timed with the parse
    args.out.mkdir(parents=True, exist_ok=True)

    results: List[Dict[str, Any]] = []
    for candidate in args.candidates:
        saved = args.out / f"{candidate.stem}.json"
        if args.reuse and saved.exists():
            result = json.loads(saved.read_text(encoding="utf-8"))
        else:
            result = evaluate(candidate, args)
            saved.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        results.append(result)
        print(f"{candidate.stem}: done", flush=True)

    print(f"\n{args.folds}-fold CV on {args.data} (threshold: most out-of-scope caught with "
          f"in-scope fallback <= {args.max_fallback}); train s on all the data, parse p50 over "
          f"tests/nlu/heldout.yml\n")
    print("| candidate | acc (no fallback) | threshold | strict acc | in-scope fallback | "
          "out-of-scope caught | train s | parse p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        print(row(result, args.max_fallback))


if __name__ == "__main__":
    main()
