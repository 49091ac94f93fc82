"""Training runs of the benchmark: config variants, timed `rasa train` and model size.

Training takes the same lock as scripts/train.sh (/tmp/rasa-train.lock) so that it never overlaps
another training on the shared machine; the wait for the lock is not counted.
"""
from __future__ import annotations

import copy
import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bench.procs import ROOT

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


def diet_epochs(config: Dict[str, Any]) -> int:
    """The DIET epochs a config trains (Rasa's default is 300)."""
    for item in config.get("pipeline", []):
        if item.get("name") == "DIETClassifier":
            return int(item.get("epochs", 300))
    raise ValueError("config has no DIETClassifier")


@dataclass
class TrainingRun:
    """One timed `rasa train`."""

    name: str
    model: Path
    wall_s: float
    nlu_s: float
    dialogue_s: float
    setup_s: float
    cached_nodes: List[str]
    model_bytes: int

    def summary(self) -> Dict[str, Any]:
        return {
            "total_s": round(self.wall_s, 2),
            "nlu_s": round(self.nlu_s, 2),
            "dialogue_s": round(self.dialogue_s, 2),
            "setup_and_io_s": round(self.wall_s - self.nlu_s - self.dialogue_s, 2),
            "restored_from_cache": self.cached_nodes,
            "model_bytes": self.model_bytes,
        }


def train(
    name: str,
    config: Dict[str, Any],
    work_dir: Path,
    cache_dir: Path,
    timeout_s: float,
) -> TrainingRun:
    """`rasa train` with `config` on the project's domain and data into `work_dir`, timed per node."""
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
    with open(TRAIN_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
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
    records = json.loads(timings_path.read_text())
    per_section = {"nlu": 0.0, "dialogue": 0.0, "setup": 0.0}
    for record in records:
        per_section[record["section"]] += record["seconds"]
    cached = [record["node"] for record in records if record["cached"]]
    return TrainingRun(
        name, model, wall, per_section["nlu"], per_section["dialogue"], per_section["setup"],
        cached, model.stat().st_size,
    )
