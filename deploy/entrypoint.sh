#!/usr/bin/env bash
# Container entry point (Dockerfile, docker-compose.yml, Helm): `rasa` or `actions`.
#   rasa     Rasa server with the HTTP API behind RASA_AUTH_TOKEN (required), CORS for
#            RASA_CORS_ORIGINS only, the channels of credentials.yml and endpoints.prod.yml
#            (its tracker store, stores.tracker, installs the Rasa patches of rasa_patches).
#            SANIC_WORKERS=N runs N Rasa processes behind the port (locks are in Redis).
#   actions  the rasa-sdk action server (reads REQUEST_STORE_URL, HANDOFF_WEBHOOK_URL).
# Anything else is run as a command (e.g. `python -m actions.handoff retry`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The Rasa server starts as `python -m rasa_patches` (`rasa` with the product's patches loaded
# first: rasa_patches/__init__.py); RASA_BIN replaces the command (the tests use echo).
if [ -n "${RASA_BIN:-}" ]; then rasa_server=("$RASA_BIN"); rasa_bin=$RASA_BIN
else rasa_server=(python -m rasa_patches); rasa_bin=rasa; fi

case "${1:-rasa}" in
  rasa)
    shift || true
    : "${RASA_AUTH_TOKEN:?RASA_AUTH_TOKEN must be set: the HTTP API never runs without a token}"
    read -r -a cors <<< "${RASA_CORS_ORIGINS:-}"
    cors_args=()
    [ ${#cors[@]} -gt 0 ] && cors_args=(--cors "${cors[@]}")
    exec "${rasa_server[@]}" run --enable-api --auth-token "$RASA_AUTH_TOKEN" "${cors_args[@]}" \
      --credentials credentials.yml --endpoints "${RASA_ENDPOINTS:-endpoints.prod.yml}" \
      -m "${RASA_MODEL:-models/aliexpress.tar.gz}" --port "${RASA_PORT:-5005}" "$@"
    ;;
  actions)
    shift || true
    # Rasa reuses idle connections for 15 s; Sanic would close them after 5 s (lost custom actions).
    export SANIC_KEEP_ALIVE_TIMEOUT=${SANIC_KEEP_ALIVE_TIMEOUT:-75}
    exec "$rasa_bin" run actions --actions actions --port "${ACTIONS_PORT:-5055}" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
