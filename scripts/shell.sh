#!/usr/bin/env bash
# Chat in the terminal: set-up, training when needed, the action server, then `rasa shell` on the
# trained model (same endpoints as scripts/run.sh; ACTIONS_PORT, ASSISTANT_STATE_DIR as there).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" RASA_TELEMETRY_ENABLED=false
scripts/setup.sh
scripts/train.sh
mkdir -p "${ASSISTANT_STATE_DIR:-var}"
state=$(cd "${ASSISTANT_STATE_DIR:-var}" && pwd)
actions_port=${ACTIONS_PORT:-5055}
endpoints=$(.venv/bin/python -m stores.local "$state" "$actions_port" 1)
export REQUEST_STORE_URL=${REQUEST_STORE_URL:-sqlite:///$state/requests.db}
# Rasa reuses idle connections to the action server for 15 s (aiohttp); Sanic closes them after
# 5 s, so a message 5-15 s after the last one lost its custom action ("Cannot write to closing
# transport"). The action server keeps them longer than Rasa does.
SANIC_HOST=127.0.0.1 SANIC_KEEP_ALIVE_TIMEOUT=75 .venv/bin/rasa run actions --actions actions --port "$actions_port" > "$state/actions.log" 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null' EXIT
echo "Loading the model (action server log: $state/actions.log) ..."
.venv/bin/python -m rasa_patches shell -m models/aliexpress.tar.gz --endpoints "$endpoints" "$@" 2> "$state/shell.log"
