#!/usr/bin/env bash
# Chat in the terminal: starts the action server, then `rasa shell` on the trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
scripts/setup.sh
scripts/train.sh
SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port 5055 > var/actions.log 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null' EXIT
.venv/bin/rasa shell -m models/aliexpress.tar.gz --endpoints endpoints.yml "$@"
