"""Speed knobs, each measured before/after in the same run as the main figures.

* diet_epochs        DIET epochs halved: NLU training time, parse latency, held-out accuracy.
* action_validation  Rasa's per-response jsonschema.validate() → the cached validator (rasa_patches).
* tracker_wal        Rasa's SQL tracker store → the product's (WAL journal on SQLite).
* ted_policy         the policies with TEDPolicy (as before) → without (config.yml).
* rasa_workers       scripts/run.sh with one Rasa process → two behind the one port.
* knowledge_cache    cost of reading knowledge/*.yml per call versus the cached accessors.
Each serving knob starts the "before" and the "after" back to back (the machine's load drifts).
"""
from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

from bench.stack import product_stack, rasa_stack
from bench.training import TrainingRun, diet_epochs, with_diet

if TYPE_CHECKING:
    from bench.run import Bench

Result = Dict[str, Any]
ACTION_VALIDATION = (
    "Rasa validates each action-server response with jsonschema.validate() → one cached validator "
    "(rasa_patches, installed by the product's tracker store)"
)
TRACKER_WAL = "Rasa's SQL tracker store (rollback journal) → stores.tracker (SQLite WAL, synchronous=NORMAL)"
TED_POLICY = "policies with TEDPolicy (max_history 5, 60 epochs, as before) → config.yml without it"
RASA_WORKERS = "scripts/run.sh with RASA_WORKERS=1 → RASA_WORKERS=2 (shared SQLite tracker and lock stores)"
TED = {"name": "TEDPolicy", "max_history": 5, "epochs": 60, "random_seed": 42, "constrain_similarities": True}


def half_epochs(config: Dict[str, Any]) -> int:
    return max(1, diet_epochs(config) // 2)


def train_variants(bench: "Bench", config: Dict[str, Any]) -> Dict[str, TrainingRun]:
    """Models the knobs need, trained with the others (dialogue restored from the assistant's cache)."""
    variants = {}
    if "diet_epochs" in bench.profile.knobs:
        variants["diet_epochs"] = bench.train(
            "diet_half_epochs", with_diet(config, epochs=half_epochs(config)), cache="assistant"
        )
    if "ted_policy" in bench.profile.knobs:
        with_ted = {**config, "policies": [*config["policies"], TED]}
        variants["ted_policy"] = bench.train("with_ted_policy", bench.config(with_ted), cache="assistant")
    return variants


def diet_epochs_knob(
    bench: "Bench", config: Dict[str, Any], run: TrainingRun, assistant_run: TrainingRun, assistant: Result
) -> Result:
    """Serve the model trained with half the DIET epochs and compare it with the assistant."""
    before_epochs = diet_epochs(config)
    after_epochs = half_epochs(config)
    with rasa_stack("diet_half_epochs", run.model, bench.work_dir, bench.sampler, with_actions=False) as running:
        after = {
            "diet_epochs": after_epochs,
            "nlu_training_s": round(run.nlu_s, 2),
            "parse": bench.parse(running),
            "heldout": bench.accuracy(running),
        }
    before = {
        "diet_epochs": before_epochs,
        "nlu_training_s": round(assistant_run.nlu_s, 2),
        "parse": assistant["parse"],
        "heldout": assistant["heldout"],
    }
    accuracy_before = (before["heldout"] or {}).get("accuracy")
    accuracy_after = (after["heldout"] or {}).get("accuracy")
    keeps_accuracy = (
        accuracy_before is not None and accuracy_after is not None and accuracy_after >= accuracy_before
    )
    helps = after["nlu_training_s"] < before["nlu_training_s"] and keeps_accuracy
    return {
        "name": "diet_epochs",
        "description": f"DIETClassifier epochs {before_epochs} → {after_epochs}",
        "before": before,
        "after": after,
        "helps": helps,
        "proposal": f"config.yml DIETClassifier epochs: {after_epochs}" if helps else None,
        "note": None if accuracy_before is not None else "no held-out set: accuracy not measured",
    }


def measure(bench: "Bench", name: str, levels: List[int], stack: Any) -> Result:
    """Run the REST load at `levels` on a started set-up; stop it and return its figures."""
    with stack as running:
        figures = {"start_s": running.start_s(), "rest": bench.rest_levels(running, name, levels)}
    figures["peak_rss_mb"] = running.peak_rss_mb
    figures["action_failures"] = running.action_failures()
    return figures


def compare(name: str, description: str, before: Result, after: Result, proposal: str) -> Result:
    """A serving knob helps when it is faster at every level with zero errors."""
    helps = after["action_failures"] == 0 and all(
        after["rest"][key]["errors"] == 0
        and after["rest"][key]["throughput_msg_s"] > before["rest"][key]["throughput_msg_s"]
        and after["rest"][key]["p95_ms"] < before["rest"][key]["p95_ms"]
        for key in after["rest"]
    )
    return {
        "name": name,
        "description": description,
        "before": before,
        "after": after,
        "helps": helps,
        "proposal": proposal if helps else None,
        "note": None,
    }


def serving_knob(
    bench: "Bench", name: str, description: str, before_model: Path, after_model: Path, proposal: str,
    before: Dict[str, Any], after: Dict[str, Any],
) -> Result:
    """One Rasa process with the product's parts, `before` then `after` options (bench.stack.rasa_stack)."""
    levels = list(bench.profile.knob_levels)
    figures_before = measure(bench, f"{name}-before", levels,
                             rasa_stack(f"{name}-before", before_model, bench.work_dir, bench.sampler, **before))
    figures_after = measure(bench, name, levels,
                            rasa_stack(name, after_model, bench.work_dir, bench.sampler, **after))
    return compare(name, description, figures_before, figures_after, proposal)


def workers_knob(bench: "Bench", model: Path) -> Result:
    """The product (scripts/run.sh) with one and with two Rasa processes behind its port."""
    levels = list(bench.profile.knob_levels)
    before = measure(bench, "rasa_workers-1", levels,
                     product_stack("rasa_workers-1", model, bench.work_dir, bench.sampler, workers=1))
    after = measure(bench, "rasa_workers-2", levels,
                    product_stack("rasa_workers-2", model, bench.work_dir, bench.sampler, workers=2))
    return compare("rasa_workers", RASA_WORKERS, before, after, "scripts/run.sh RASA_WORKERS=2")


def cached_accessors(module_name: str) -> Dict[str, Callable[[], Any]]:
    """Zero-argument functions of a module that are wrapped in functools.lru_cache."""
    module = importlib.import_module(module_name)
    found = {}
    for attr in dir(module):
        value = getattr(module, attr)
        if callable(value) and hasattr(value, "cache_clear") and getattr(value, "__module__", None) == module_name:
            try:
                value()
            except TypeError:
                continue
            found[attr] = value
    return found


def knowledge_cache_knob(repeats: int = 20) -> Result:
    """Per-call cost of the knowledge accessors uncached (file read + YAML parse) versus cached."""
    accessors = cached_accessors("actions.knowledge")
    if not accessors:
        return {
            "name": "knowledge_cache", "description": "cached knowledge accessors", "before": None,
            "after": None, "helps": None, "proposal": None,
            "note": "not measured: actions.knowledge has no cached accessors",
        }

    def per_call_ms(clear: bool) -> float:
        started = time.perf_counter()
        for _ in range(repeats):
            for accessor in accessors.values():
                if clear:
                    accessor.cache_clear()  # type: ignore[attr-defined]
                accessor()
        return round((time.perf_counter() - started) * 1000 / repeats, 4)

    uncached = per_call_ms(clear=True)
    cached = per_call_ms(clear=False)
    return {
        "name": "knowledge_cache",
        "description": f"knowledge accessors {', '.join(sorted(accessors))}: read per call vs cached",
        "before": {"per_turn_ms": uncached},
        "after": {"per_turn_ms": cached},
        "helps": cached < uncached,
        "proposal": None,
        "note": "already in place (functools.lru_cache in actions/knowledge.py); figures show what it saves per turn",
    }


def not_run(name: str, description: str, reason: str) -> Result:
    """A knob that this run did not measure, with the reason."""
    return {
        "name": name, "description": description, "before": None, "after": None,
        "helps": None, "proposal": None, "note": f"not measured: {reason}",
    }


def run_all(
    bench: "Bench",
    config: Dict[str, Any],
    assistant_run: TrainingRun,
    variants: Dict[str, TrainingRun],
    assistant: Result,
) -> List[Result]:
    """Every knob, in order (each one starts and stops its own servers); the profile picks which run."""
    steps: List[Tuple[str, str, Callable[[], Result]]] = [
        ("diet_epochs", "DIETClassifier epochs halved",
         lambda: diet_epochs_knob(bench, config, variants["diet_epochs"], assistant_run, assistant)),
        ("action_validation", ACTION_VALIDATION,
         lambda: serving_knob(
             bench, "action_validation", ACTION_VALIDATION, assistant_run.model, assistant_run.model,
             "keep rasa_patches", before={"launch": ("--stock-validation",)}, after={},
         )),
        ("tracker_wal", TRACKER_WAL,
         lambda: serving_knob(
             bench, "tracker_wal", TRACKER_WAL, assistant_run.model, assistant_run.model,
             "keep stores.tracker for SQLite", before={"tracker_store": "SQL", "launch": ("--patched",)}, after={},
         )),
        ("ted_policy", TED_POLICY,
         lambda: serving_knob(
             bench, "ted_policy", TED_POLICY, variants["ted_policy"].model, assistant_run.model,
             "keep config.yml without TEDPolicy", before={}, after={},
         )),
        ("rasa_workers", RASA_WORKERS, lambda: workers_knob(bench, assistant_run.model)),
        ("knowledge_cache", "cached knowledge accessors", knowledge_cache_knob),
    ]
    results = []
    for name, description, step in steps:
        if name in bench.profile.knobs:
            results.append(step())
        else:
            results.append(not_run(name, description, f"skipped by the {bench.profile.name} profile"))
        print(f"[bench] knob {name}: helps={results[-1]['helps']}", flush=True)
    return results
