"""Training runs of the benchmark: config variants, timed `rasa train` and model size.

Trainings run under the same lock as scripts/train.sh (/tmp/rasa-train.lock) so that they never
overlap another training on the shared machine; the wait for the lock is not counted.
"""
from __future__ import annotations

import copy
import fcntl
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import yaml

from bench.harness import ROOT

TRAIN_LOCK = Path("/tmp/rasa-train.lock")
EPOCH_COMPONENTS = {"DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy"}
# Rasa's minimal Chinese pipeline from its docs, every component with its default settings.
MINIMAL_CHINESE_PIPELINE: List[Dict[str, Any]] = [
    {"name": "JiebaTokenizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "DIETClassifier"},
]


def load_config(path: Path = ROOT / "config.yml") -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def with_epochs(config: Dict[str, Any], epochs: int) -> Dict[str, Any]:
    """A copy of `config` where every epoch-trained component runs `epochs` epochs."""
    result = copy.deepcopy(config)
    for item in [*result.get("pipeline", []), *result.get("policies", [])]:
        if item.get("name") in EPOCH_COMPONENTS:
            item["epochs"] = epochs
    return result


def with_diet(config: Dict[str, Any], **settings: Any) -> Dict[str, Any]:
    """A copy of `config` with DIETClassifier settings overridden (a speed knob)."""
    result = copy.deepcopy(config)
    diets = [item for item in result.get("pipeline", []) if item.get("name") == "DIETClassifier"]
    if not diets:
        raise ValueError("config has no DIETClassifier")
    for item in diets:
        item.update(settings)
    return result


def minimal_chinese(config: Dict[str, Any]) -> Dict[str, Any]:
    """The docs' minimal Chinese NLU pipeline with the project's language, recipe and policies."""
    result = {key: value for key, value in config.items() if key != "pipeline"}
    result["pipeline"] = copy.deepcopy(MINIMAL_CHINESE_PIPELINE)
    return result


def diet_default_epochs() -> int:
    """DIETClassifier's default epochs in the installed Rasa."""
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    return int(DIETClassifier.get_default_config()["epochs"])


def diet_epochs(config: Dict[str, Any]) -> int:
    """The DIET epochs a config trains (Rasa's default when not set)."""
    for item in config.get("pipeline", []):
        if item.get("name") == "DIETClassifier":
            return int(item.get("epochs", diet_default_epochs()))
    raise ValueError("config has no DIETClassifier")


@dataclass
class TrainingRun:
    """One timed `rasa train`: wall time, per-node records (bench/timed_train.py) and the model."""

    name: str
    model: Path
    wall_s: float
    nodes: List[Dict[str, Any]]
    model_bytes: int

    def seconds(self, section: str) -> float:
        """Time spent in the nodes of one section (nlu / dialogue / setup)."""
        return sum(node["seconds"] for node in self.nodes if node["section"] == section)

    @property
    def nlu_s(self) -> float:
        return self.seconds("nlu")

    @property
    def dialogue_s(self) -> float:
        return self.seconds("dialogue")

    def restored_nodes(self) -> List[str]:
        """Trained components restored from the training cache (providers are always precomputed)."""
        return [node["node"] for node in self.nodes if node["cached"] and node["node"].startswith("train_")]

    def restored(self, section: str) -> bool:
        """Whether this section's trained components were restored from the training cache."""
        return any(node["section"] == section for node in self.nodes if node["node"] in self.restored_nodes())

    def epoch_nodes(self) -> Dict[str, Dict[str, Any]]:
        """Epoch count and epoch times of every component trained in epochs."""
        return {
            node["component"]: {key: node[key] for key in ("epochs", "first_epoch_s", "median_epoch_s")}
            for node in self.nodes if "epochs" in node
        }

    def summary(self) -> Dict[str, Any]:
        return {
            "total_s": round(self.wall_s, 2),
            "nlu_s": round(self.nlu_s, 2),
            "dialogue_s": round(self.dialogue_s, 2),
            "setup_and_io_s": round(self.wall_s - self.nlu_s - self.dialogue_s, 2),
            "epochs": self.epoch_nodes(),
            "restored_from_cache": self.restored_nodes(),
            "model_bytes": self.model_bytes,
        }


def baseline_summary(run: TrainingRun, donor: TrainingRun, component: str, default_epochs: int) -> Dict[str, Any]:
    """Training figures of a baseline trained with fewer epochs and its dialogue from `donor`'s cache.

    When the baseline's dialogue nodes were restored from the cache (same policies, stories and
    domain as `donor`), its dialogue time is `donor`'s measured one. When `component` trained fewer
    than `default_epochs` epochs, its time is projected with the median epoch time; `*_measured`
    keeps what was measured.
    """
    summary = run.summary()
    if run.restored("dialogue"):
        summary["dialogue_s"] = round(donor.dialogue_s, 2)
        summary["dialogue_source"] = (
            f"dialogue time is {donor.name}'s (same policies, stories and domain; restored from its training cache)"
        )
    epochs = summary["epochs"].get(component)
    missing = default_epochs - epochs["epochs"] if epochs else 0
    summary["nlu_s_measured"] = summary["nlu_s"]
    summary["total_s_measured"] = summary["total_s"]
    if epochs and missing > 0:
        summary["nlu_s"] = round(summary["nlu_s"] + missing * epochs["median_epoch_s"], 2)
        summary["nlu_projection"] = (
            f"{component} trained {epochs['epochs']} of its default {default_epochs} epochs; "
            f"+{missing} × {epochs['median_epoch_s']} s (median epoch)"
        )
    summary["total_s"] = round(summary["setup_and_io_s"] + summary["nlu_s"] + summary["dialogue_s"], 2)
    return summary


@contextmanager
def training_lock() -> Iterator[float]:
    """Hold scripts/train.sh's lock (one training at a time on the machine); yields the seconds waited."""
    waited = time.perf_counter()
    with open(TRAIN_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield time.perf_counter() - waited


def train(
    name: str,
    config: Dict[str, Any],
    work_dir: Path,
    cache_dir: Path,
    timeout_s: float,
) -> TrainingRun:
    """`rasa train` with `config` on the project's domain and data into `work_dir`, timed per node.

    Call it inside `training_lock()`.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    config_path = work_dir / f"config-{name}.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    timings_path = work_dir / f"timings-{name}.json"
    log_path = work_dir / f"train-{name}.log"
    cmd = [
        sys.executable, "-m", "bench.timed_train", str(timings_path),
        "train", "--config", str(config_path), "--domain", "domain.yml", "--data", "data",
        "--out", str(work_dir), "--fixed-model-name", name,
    ]
    env = {"PYTHONPATH": str(ROOT), "RASA_CACHE_DIRECTORY": str(cache_dir), "RASA_TELEMETRY_ENABLED": "false"}
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        result = subprocess.run(
            cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            timeout=timeout_s, check=False,
        )
    wall = time.perf_counter() - started
    model = work_dir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"training {name} failed ({result.returncode}):\n{tail}")
    return TrainingRun(name, model, wall, json.loads(timings_path.read_text()), model.stat().st_size)
