"""One benchmark run: train, serve, load and compare the assistant with its two baselines."""
from __future__ import annotations

import itertools
import os
import platform
import subprocess
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from bench import knobs
from bench.accuracy import HELDOUT, heldout_accuracy, load_heldout
from bench.load import conversation_load, parse_latency
from bench.harness import ROOT, MemorySampler, tree_cpu_seconds
from bench.profiles import FULL, Profile
from bench import stages
from bench.stack import Running, coverage, echo_stack, product_stack, rasa_stack
from bench.training import (
    TrainingRun,
    baseline_summary,
    diet_default_epochs,
    load_config,
    minimal_chinese,
    train,
    training_lock,
    with_diet,
    with_epochs,
)

WORKLOAD = Path(__file__).with_name("workload.yml")


class Bench:
    """Holds the workload, the memory sampler and the results of one run."""

    def __init__(self, profile: Profile, work_dir: Path) -> None:
        self.profile = profile
        self.work_dir = work_dir
        self.log_dir = work_dir / "logs"
        workload = yaml.safe_load(WORKLOAD.read_text(encoding="utf-8"))
        self.scripts: List[List[str]] = [conv["turns"] for conv in workload["conversations"]]
        self.script_names: List[str] = [conv["name"] for conv in workload["conversations"]]
        self.parse_texts = list(itertools.islice(itertools.cycle(workload["parse_messages"]), profile.parse_messages))
        self.heldout = load_heldout(limit=profile.heldout_limit) if HELDOUT.exists() else None
        self.sampler = MemorySampler().start()
        self.run_id = datetime.now(timezone.utc).strftime("%H%M%S")

    # --- training -------------------------------------------------------------------------
    def config(self, config: Dict[str, Any]) -> Dict[str, Any]:
        """The profile's epochs applied to a config (the tiny run trains a couple of epochs)."""
        return with_epochs(config, self.profile.epochs) if self.profile.epochs else config

    def train(self, name: str, config: Dict[str, Any], cache: str) -> TrainingRun:
        print(f"[bench] training {name} ...", flush=True)
        run = train(name, config, self.work_dir / "models", self.work_dir / f"cache-{cache}", self.profile.train_timeout_s)
        print(f"[bench] trained {name} in {run.wall_s:.1f}s", flush=True)
        return run

    # --- measurements ---------------------------------------------------------------------
    def parse(self, running: Running) -> Dict[str, Any]:
        return parse_latency(
            running.url, self.parse_texts, deadline_s=self.profile.level_deadline_s, token=running.token
        ).summary()

    def accuracy(self, running: Running) -> Optional[Dict[str, Any]]:
        if not self.heldout:
            return None
        return heldout_accuracy(running.url, self.heldout, deadline_s=4 * self.profile.level_deadline_s, token=running.token)

    def rest_levels(self, running: Running, system: str, levels: List[int]) -> Dict[str, Any]:
        """REST conversations at each concurrency level; the last level's senders are kept."""
        results: Dict[str, Any] = {}
        for level in levels:
            total = self.profile.conversations.get(level, level)
            outcome = conversation_load(
                running.url, self.scripts, level, total, f"bench-{self.run_id}-{system}-c{level}",
                deadline_s=self.profile.level_deadline_s, timeout_s=self.profile.request_timeout_s,
            )
            results[str(level)] = outcome.summary()
            self.last_senders = outcome.senders
            print(f"[bench] {system} c={level}: {results[str(level)]}", flush=True)
        return results

    def inspected_senders(self) -> List[str]:
        """One finished conversation of each script (senders end with their conversation index)."""
        by_index = {int(sender.rsplit("-", 1)[1]): sender for sender in self.last_senders}
        return [by_index[i] for i in range(len(self.scripts)) if i in by_index]

    def echo(self) -> Dict[str, Any]:
        print("[bench] echo floor ...", flush=True)
        with echo_stack(self.sampler, self.log_dir) as running:
            result = {
                "training": None,
                "model_bytes": None,
                "start_s": running.start_s(),
                "parse": self.parse(running),
                "heldout": None,
                "rest": self.rest_levels(running, "echo", list(self.profile.levels)),
                "coverage": None,
            }
        result["peak_rss_mb"] = running.peak_rss_mb
        result["action_failures"] = 0  # the echo server runs no actions
        return result

    def serve(self, system: str, run: TrainingRun, training: Dict[str, Any], stack: Any) -> Dict[str, Any]:
        """Every figure of one trained configuration, served by `stack` (started and stopped here)."""
        with stack as running:
            result = {
                "training": training,
                "model_bytes": run.model_bytes,
                "start_s": running.start_s(),
                "rasa_processes": running.rasa_processes,
                "parse": self.parse(running),
                "heldout": self.accuracy(running),
                "rest": self.rest_levels(running, system, list(self.profile.levels)),
            }
            result["coverage"] = coverage(running.url, self.inspected_senders(), running.token)
        result["peak_rss_mb"] = running.peak_rss_mb
        result["action_failures"] = running.action_failures()
        return result

    def stock_system(self, system: str, run: TrainingRun, training: Dict[str, Any]) -> Dict[str, Any]:
        """Stock Rasa (its `rest` channel, SQL tracker store, own validation) with the project's actions."""
        print(f"[bench] serving {system} (stock Rasa) ...", flush=True)
        stack = rasa_stack(system, run.model, self.work_dir, self.sampler, product_parts=False)
        return self.serve(system, run, training, stack)

    def product_system(
        self, system: str, run: TrainingRun, training: Dict[str, Any], workers: Optional[int]
    ) -> Dict[str, Any]:
        """The product started as the README does (scripts/run.sh; `workers`: RASA_WORKERS or its default)."""
        print(f"[bench] serving {system} (scripts/run.sh) ...", flush=True)
        stack = product_stack(system, run.model, self.work_dir, self.sampler, workers=workers)
        return self.serve(system, run, training, stack)

    def stage_breakdown(self, model: Path) -> Dict[str, Any]:
        """Where one message's time goes: the product's parts in one Rasa process with timers, sequential."""
        print("[bench] per-stage breakdown ...", flush=True)
        path = self.work_dir / "stages.json"
        with rasa_stack("stages", model, self.work_dir, self.sampler, launch=("--stages", str(path))) as running:
            servers = {"Rasa server": running.server.pid, "action server": running.actions.pid}
            before = {name: tree_cpu_seconds(pid) for name, pid in servers.items()}
            level = self.rest_levels(running, "stages", [1])["1"]
            used = {name: tree_cpu_seconds(pid) - before[name] for name, pid in servers.items()}
        messages = level["messages"] or 1
        return {
            "rest": level,
            "stages": stages.per_message(path) if path.exists() else {},
            # The whole processes (HTTP, channel and guard included; the Rasa server with its timers).
            "process_cpu_ms_per_message": {name: round(seconds * 1000 / messages, 2) for name, seconds in used.items()},
        }

    def close(self) -> None:
        self.sampler.stop()


def machine() -> Dict[str, Any]:
    load1, load5, load15 = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def git_commit() -> Optional[str]:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or None


def stages_only(model: Path, work_dir: Path, conversations: Optional[int] = None) -> Dict[str, Any]:
    """The per-stage breakdown of the full run alone, for a trained model (no training, about a minute)."""
    profile = replace(FULL, conversations={1: conversations}) if conversations else FULL
    bench = Bench(profile, work_dir)
    try:
        return bench.stage_breakdown(model)
    finally:
        bench.close()


def run(profile: Profile, work_dir: Path) -> Dict[str, Any]:
    """Measure everything; returns the report data (report.py turns it into files)."""
    import rasa

    started = time.perf_counter()
    meta: Dict[str, Any] = {
        "mode": profile.name,
        "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rasa_version": rasa.__version__,
        "git_commit": git_commit(),
        "machine_at_start": machine(),
        "profile": {
            "parse_messages": profile.parse_messages,
            "levels": list(profile.levels),
            "conversations": {str(k): v for k, v in profile.conversations.items()},
            "epochs_override": profile.epochs,
            "baseline_diet_epochs": profile.baseline_diet_epochs,
        },
    }
    bench = Bench(profile, work_dir)
    try:
        project_config = bench.config(load_config())
        baseline_config = bench.config(minimal_chinese(load_config()))
        if profile.baseline_diet_epochs:
            baseline_config = with_diet(baseline_config, epochs=profile.baseline_diet_epochs)
        with training_lock() as waited:
            print(f"[bench] waited {waited:.0f}s for the training lock", flush=True)
            meta["training_lock_wait_s"] = round(waited, 1)
            assistant_run = bench.train("assistant", project_config, cache="assistant")
            # Same policies, stories and domain: the dialogue part is restored from the assistant's cache.
            baseline_run = bench.train("minimal_pipeline", baseline_config, cache="assistant")
            variants = knobs.train_variants(bench, project_config)
        baseline_training = baseline_summary(baseline_run, assistant_run, "DIETClassifier", diet_default_epochs())
        systems = {
            "echo": bench.echo(),
            "minimal_pipeline": bench.stock_system("minimal_pipeline", baseline_run, baseline_training),
            "assistant": bench.product_system("assistant", assistant_run, assistant_run.summary(), profile.workers),
        }
        breakdown = bench.stage_breakdown(assistant_run.model)
        knob_results = knobs.run_all(bench, project_config, assistant_run, variants, systems["assistant"])
    finally:
        bench.close()
    meta["machine_at_end"] = machine()
    meta["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta["duration_s"] = round(time.perf_counter() - started, 1)
    meta["workload"] = {"scripts": bench.script_names, "heldout_examples": len(bench.heldout or [])}
    return {"meta": meta, "systems": systems, "stages": breakdown, "knobs": knob_results}
