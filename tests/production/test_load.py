"""The bounded load test in small mode: zero failures, and the report is written."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.servers import ROOT, Stack


def test_load_small_mode_has_no_failures(stack: Stack, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "load_test.py"), "--users", "10", "--seconds", "15",
         "--host", stack.rasa.url, "--report-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=400,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "report.json").read_text())
    assert summary["failures"] == 0 and summary["requests"] >= 20
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"] <= summary["latency_ms"]["p99"]
    assert summary["throughput_rps"] > 0
    assert "p95 ms" in (tmp_path / "report.md").read_text()
