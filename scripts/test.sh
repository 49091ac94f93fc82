#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, system packages, training, data validation,
# end-to-end test stories, then pytest (actions, NLU, form, channels, production, benchmark, insights).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

scripts/setup.sh
scripts/system-deps.sh
scripts/train.sh

echo "== rasa data validate"
.venv/bin/rasa data validate --fail-on-warnings

echo "== rasa test (end-to-end test stories)"
rm -rf results/stories
.venv/bin/python -m rasa_patches test core --model models/aliexpress.tar.gz --stories tests/stories \
  --fail-on-prediction-errors --out results/stories

echo "== pytest"
.venv/bin/python -m pytest tests "$@"
