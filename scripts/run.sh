#!/usr/bin/env bash
# Starts the assistant on this machine: set-up, training when the model is missing or stale,
# then the action server and the Rasa server (REST, socket.io, help-site page, HTTP API with a token).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

scripts/setup.sh
scripts/train.sh

port=${RASA_PORT:-5005}
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  [ -s var/auth_token ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/auth_token
  RASA_AUTH_TOKEN=$(cat var/auth_token)
fi
read -r -a cors <<< "${RASA_CORS_ORIGINS:-http://localhost:$port http://127.0.0.1:$port}"

SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port 5055 > var/actions.log 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null' EXIT

cat <<MSG
Starting the assistant on port $port (logs of the action server: var/actions.log).
  Chat in the browser:   http://localhost:$port/webchat/
  Chat over REST:        curl -s localhost:$port/webhooks/rest/webhook -d '{"sender":"me","message":"你好"}'
  Chat in the terminal:  stop this, then .venv/bin/rasa shell (with the action server running)
  HTTP API token:        var/auth_token (or RASA_AUTH_TOKEN)
MSG
.venv/bin/rasa run --enable-api --auth-token "$RASA_AUTH_TOKEN" --cors "${cors[@]}" \
  --credentials credentials.yml --endpoints endpoints.yml -m models/aliexpress.tar.gz --port "$port"
