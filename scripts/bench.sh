#!/usr/bin/env bash
# Benchmark: trains the assistant and the minimal Chinese pipeline, serves both next to an echo floor
# and writes reports/bench/report.{md,json} + plots. `scripts/bench.sh --tiny` is the quick check.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec .venv/bin/python -m bench "$@"
