#!/usr/bin/env bash
# Regenerates requirements.lock from requirements.in in a throw-away venv (Rasa first, then the rest
# constrained by Rasa's resolution, which keeps pip's resolver from backtracking for long).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(.venv/bin/python -c 'import sys; print(sys.base_prefix)')/bin/python3
tmp=$(mktemp -d)
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet "pip==24.0"
grep -E '^(rasa|python-socketio|python-engineio|jax)' requirements.in | xargs "$tmp/venv/bin/pip" install --quiet
"$tmp/venv/bin/pip" freeze > "$tmp/constraints.txt"
"$tmp/venv/bin/pip" install --quiet -c "$tmp/constraints.txt" -r requirements.in
{ echo "# Every package pinned. Regenerate: scripts/lock.sh"; "$tmp/venv/bin/pip" freeze; } > requirements.lock
rm -rf "$tmp"
echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"
