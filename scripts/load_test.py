"""Bounded load test: locust headless on loopback, then a report with latency percentiles.

    scripts/load_test.sh [--users 20] [--seconds 20] [--host URL]

Without --host it starts the assistant as the README does (scripts/run.sh, through the one server
harness bench/harness.py) on free ports with its state in a temporary directory, and stops it
afterwards. Users chat at human speed, so the guard's rate limit stays as deployed. Writes
reports/load/report.md and reports/load/report.json; exits 1 when any request failed.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import MODEL, Product, start_product  # noqa: E402

LOCUSTFILE = ROOT / "tests" / "production" / "locustfile.py"
REPORT_DIR = ROOT / "reports" / "load"


def run_locust(host: str, users: int, seconds: int, csv_prefix: Path) -> None:
    """Run locust headless for a fixed time."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(LOCUSTFILE), "--headless",
         "-u", str(users), "-r", str(max(1, users // 2)), "-t", f"{seconds}s", "--host", host,
         "--csv", str(csv_prefix), "--only-summary", "--stop-timeout", "30", "--exit-code-on-error", "0"],
        cwd=ROOT, check=True, timeout=seconds + 180, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )


def summarize(csv_prefix: Path, users: int, seconds: int) -> Dict[str, Any]:
    """The aggregated row of locust's statistics, plus the failures by reason."""
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    failures: List[Dict[str, Any]] = []
    failures_csv = Path(f"{csv_prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as handle:
            failures = [{"error": r["Error"], "occurrences": int(r["Occurrences"])} for r in csv.DictReader(handle)]
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "users": users,
        "duration_seconds": seconds,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "throughput_rps": round(float(total["Requests/s"]), 2),
        "latency_ms": {
            "p50": float(total["50%"]), "p95": float(total["95%"]), "p99": float(total["99%"]),
            "max": float(total["Max Response Time"]), "mean": round(float(total["Average Response Time"]), 1),
        },
        "failure_reasons": failures,
    }


def write_report(summary: Dict[str, Any], directory: Path = REPORT_DIR) -> Path:
    """reports/load/report.json and report.md."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    lat = summary["latency_ms"]
    lines = [
        "# Load test (REST channel, loopback)", "",
        f"{summary['users']} concurrent conversations for {summary['duration_seconds']} s, "
        f"generated {summary['generated_at']}.", "",
        "| requests | failures | throughput (req/s) | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
        f"| {summary['requests']} | {summary['failures']} | {summary['throughput_rps']} | "
        f"{lat['p50']:.0f} | {lat['p95']:.0f} | {lat['p99']:.0f} | {lat['max']:.0f} |",
    ]
    if summary["failure_reasons"]:
        lines += ["", "Failures:"] + [f"- {f['error']} × {f['occurrences']}" for f in summary["failure_reasons"]]
    path = directory / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--host", help="a running Rasa server; default: start one")
    parser.add_argument("--report-dir", type=Path, default=REPORT_DIR)
    args = parser.parse_args(argv)

    product: Optional[Product] = None
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        try:
            host = args.host
            if not host:
                product = start_product(Path(tmp) / "state", MODEL)
                host = product.url
            run_locust(host, args.users, args.seconds, Path(tmp) / "locust")
            summary = summarize(Path(tmp) / "locust", args.users, args.seconds)
        finally:
            if product:
                product.stop()
    report = write_report(summary, args.report_dir)
    print(report.read_text())
    ok = summary["failures"] == 0 and summary["requests"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
