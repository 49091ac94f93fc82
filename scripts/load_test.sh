#!/usr/bin/env bash
# Bounded load test (locust, loopback): scripts/load_test.sh [--users N] [--seconds S] [--host URL].
# Trains the model if needed; report in reports/load/report.md and .json; exit 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/train.sh >/dev/null
exec env PYTHONPATH="$PWD" .venv/bin/python scripts/load_test.py "$@"
