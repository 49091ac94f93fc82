"""Ratios and target verdicts are computed from the measured figures (no model, no servers)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict

import pytest

from bench import report
from bench.load import percentiles


def rest(p95: float, throughput: float, errors: int = 0) -> Dict[str, Any]:
    return {
        "messages": 100, "errors": errors, "empty_replies": 0, "p50_ms": p95 / 2, "p95_ms": p95,
        "p99_ms": p95 * 1.2, "throughput_msg_s": throughput, "wall_s": 10.0,
        "conversations": 4, "conversations_planned": 4,
    }


def system(parse_p50: float, rss: float, start: float, p95: float, throughput: float, trained: float) -> Dict[str, Any]:
    return {
        "training": {
            "total_s": trained, "nlu_s": trained / 2, "dialogue_s": trained / 4, "setup_and_io_s": 1.0,
            "epochs": {"DIETClassifier": {"epochs": 10, "first_epoch_s": 2.0, "median_epoch_s": 1.0}},
        },
        "model_bytes": 1000,
        "start_s": {"server": start, "actions": 2.0},
        "parse": {"messages": 10, "errors": 0, "first_request_ms": 50.0, "p50_ms": parse_p50, "p95_ms": parse_p50 * 2},
        "heldout": {"examples": 10, "errors": 0, "accuracy": 0.9},
        "rest": {"1": rest(p95 / 4, throughput / 4), "16": rest(p95, throughput)},
        "rasa_processes": 2,
        "peak_rss_mb": {"server": rss * 2, "server_largest_process": rss, "actions": 100.0},
        "coverage": {"custom_action_runs": 3, "form_activations": 1},
        "action_failures": 0,
    }


@pytest.fixture
def measured() -> Dict[str, Any]:
    echo = system(0.5, 30.0, 0.2, 5.0, 2000.0, 0.0)
    echo["training"] = echo["heldout"] = echo["model_bytes"] = None
    echo["peak_rss_mb"]["actions"] = None
    return {
        "meta": {
            "mode": "full", "started_utc": "s", "finished_utc": "f", "duration_s": 1.0, "rasa_version": "3.6.21",
            "git_commit": "abc", "machine_at_start": {"cpus": 2, "load_average": [1, 1, 1]},
            "machine_at_end": {"cpus": 2, "load_average": [1, 1, 1]}, "profile": {"levels": [1, 16]},
        },
        "systems": {
            "echo": echo,
            "minimal_pipeline": system(4.0, 600.0, 10.0, 100.0, 50.0, 100.0),
            "assistant": system(8.0, 900.0, 15.0, 80.0, 120.0, 50.0),
        },
        "stages": {
            "rest": rest(40.0, 30.0),
            "stages": {
                "message (total)": {"ms_per_message": 18.0, "cpu_ms_per_message": 9.0, "calls_per_message": 1.0},
                "NLU (parse_message)": {"ms_per_message": 6.0, "cpu_ms_per_message": 3.0, "calls_per_message": 1.0},
            },
            "process_cpu_ms_per_message": {"Rasa server": 11.5, "action server": 3.5},
        },
        "knobs": [],
    }


def verdicts(data: Dict[str, Any]) -> Dict[str, Any]:
    return {item["target"]: item["met"] for item in report.targets(data)}


def test_ratios_divide_the_assistant_by_each_baseline(measured: Dict[str, Any]) -> None:
    ratios = report.ratios(measured)
    assert ratios["vs_echo"]["parse_p50"] == 16.0
    assert ratios["vs_echo"]["rest_p95_c16"] == 16.0
    assert ratios["vs_minimal_pipeline"]["parse_p50"] == 2.0
    assert ratios["vs_minimal_pipeline"]["training_total"] == 0.5
    assert ratios["vs_minimal_pipeline"]["throughput_c16"] == 2.4
    assert ratios["vs_minimal_pipeline"]["heldout_accuracy_difference"] == 0.0


def test_every_target_follows_its_figure(measured: Dict[str, Any]) -> None:
    assert all(verdicts(measured).values())
    slow = copy.deepcopy(measured)
    assistant = slow["systems"]["assistant"]
    assistant["rest"]["1"]["p50_ms"] = 25.5
    assistant["parse"]["p50_ms"] = 8.5
    assistant["rest"]["16"]["p95_ms"] = 251.0
    assistant["rest"]["16"]["throughput_msg_s"] = 99.0
    assistant["peak_rss_mb"]["server_largest_process"] = 1300.0
    assistant["training"]["total_s"] = 61.0
    assistant["start_s"]["server"] = 21.0
    assert not any(verdicts(slow).values())


def test_errors_fail_the_concurrent_targets(measured: Dict[str, Any]) -> None:
    measured["systems"]["assistant"]["rest"]["16"]["errors"] = 1
    judged = verdicts(measured)
    assert judged["REST p95 at 16 concurrent, zero errors"] is False
    assert judged["throughput at 16 concurrent, zero errors"] is False


def test_failed_custom_actions_fail_the_concurrent_targets(measured: Dict[str, Any]) -> None:
    measured["systems"]["assistant"]["action_failures"] = 2
    judged = verdicts(measured)
    assert judged["REST p95 at 16 concurrent, zero errors"] is False
    assert judged["throughput at 16 concurrent, zero errors"] is False


def test_missing_level_is_not_measured(measured: Dict[str, Any]) -> None:
    del measured["systems"]["assistant"]["rest"]["16"]
    measured["meta"]["profile"]["levels"] = [1]
    assert verdicts(measured)["REST p95 at 16 concurrent, zero errors"] is None


def test_files_are_written(measured: Dict[str, Any], tmp_path: Path) -> None:
    written = report.write(measured, tmp_path)
    assert json.loads((tmp_path / "report.json").read_text())["targets"] == written["targets"]
    text = (tmp_path / "report.md").read_text()
    assert "| /model/parse p50 | ≤ 8 ms | 8 | **met** |" in text
    assert "| NLU (parse_message) | 6 | 3 | 1 | 33% |" in text
    assert "Rasa server 11.5, action server 3.5." in text
    for name in written["plots"]:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_percentiles() -> None:
    figures = percentiles([float(value) for value in range(1, 101)])
    assert figures["p50_ms"] == 50.5 and figures["p95_ms"] == 95.05 and figures["p99_ms"] == 99.01
    assert percentiles([])["p50_ms"] is None
