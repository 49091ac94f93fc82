#!/usr/bin/env bash
# Starts the assistant on this machine: set-up, training when the model is missing or stale,
# then the action server and the Rasa server (REST, socket.io, help-site page, HTTP API with a token).
# Settings (environment): RASA_PORT (5005), ACTIONS_PORT (5055), RASA_WORKERS (Rasa processes
# behind the one port, default 1: two need twice the memory and start slower; since the speed26 cuts
# they serve more at 16 concurrent (49 -> 73 msg/s, the rasa_workers knob of scripts/bench.sh, see
# bench/README.md); set 2 where both cores are the assistant's), RASA_AUTH_TOKEN (default: var/auth_token),
# RASA_CORS_ORIGINS, RASA_MODEL (serve this model, no training), ASSISTANT_STATE_DIR (var: the
# conversations, requests, logs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" RASA_TELEMETRY_ENABLED=false
started=$SECONDS

echo "[1/3] Set-up (Python packages, widget; a fresh clone installs them first, a few minutes) ..."
scripts/setup.sh
mkdir -p "${ASSISTANT_STATE_DIR:-var}"
state=$(cd "${ASSISTANT_STATE_DIR:-var}" && pwd)
if [ -n "${RASA_MODEL:-}" ]; then
  model=$RASA_MODEL
  echo "[2/3] Model: $model"
else
  model=models/aliexpress.tar.gz
  echo "[2/3] Model (trained when missing or stale) ..."
  scripts/train.sh
fi

port=${RASA_PORT:-5005}
actions_port=${ACTIONS_PORT:-5055}
workers=${RASA_WORKERS:-1}
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  [ -s var/auth_token ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/auth_token
  RASA_AUTH_TOKEN=$(cat var/auth_token)
fi
read -r -a cors <<< "${RASA_CORS_ORIGINS:-http://localhost:$port http://127.0.0.1:$port}"
endpoints=$(.venv/bin/python -m stores.local "$state" "$actions_port" "$workers")
export REQUEST_STORE_URL=${REQUEST_STORE_URL:-sqlite:///$state/requests.db}

echo "[3/3] Starting the action server and $workers Rasa process(es) (logs: $state/actions.log, rasa.log) ..."
cat <<MSG
  Chat in the browser:   http://localhost:$port/webchat/
  Chat over REST:        curl -s localhost:$port/webhooks/rest/webhook -d '{"sender":"me","message":"怎么联系人工客服"}'
  Chat in the terminal:  stop this, then scripts/shell.sh
  HTTP API token:        var/auth_token (or RASA_AUTH_TOKEN)
MSG
# Rasa reuses idle connections to the action server for 15 s (aiohttp); Sanic closes them after
# 5 s, so a message 5-15 s after the last one lost its custom action ("Cannot write to closing
# transport"). The action server keeps them longer than Rasa does.
SANIC_HOST=127.0.0.1 SANIC_KEEP_ALIVE_TIMEOUT=75 .venv/bin/rasa run actions --actions actions --port "$actions_port" > "$state/actions.log" 2>&1 &
actions_pid=$!
# `python -m rasa_patches` is `rasa` with the product's patches loaded first (rasa_patches/__init__.py).
SANIC_WORKERS=$workers .venv/bin/python -m rasa_patches run --enable-api --auth-token "$RASA_AUTH_TOKEN" --cors "${cors[@]}" \
  --credentials credentials.yml --endpoints "$endpoints" -m "$model" --port "$port" > "$state/rasa.log" 2>&1 &
rasa_pid=$!
trap 'kill $rasa_pid $actions_pid 2>/dev/null; wait' EXIT INT TERM

until .venv/bin/python -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)" \
    "http://127.0.0.1:$port/status?token=$RASA_AUTH_TOKEN" 2>/dev/null; do
  if ! kill -0 $rasa_pid 2>/dev/null; then
    echo "ERROR: the Rasa server stopped; the end of $state/rasa.log:" >&2
    tail -20 "$state/rasa.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "Ready after $(( SECONDS - started )) s: http://localhost:$port/webchat/ (stop with Ctrl+C)"
wait $rasa_pid
