#!/usr/bin/env bash
# Set-up: finds Python 3.8–3.10 (PATH, then pyenv), creates .venv and installs requirements.lock;
# installs the widget's npm packages when web/package-lock.json exists. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

supported() {  # prints the interpreter path when it is CPython 3.8–3.10
  "$1" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' 2>/dev/null \
    && "$1" -c 'import sys; print(sys.executable)'
}

find_python() {
  local candidate
  for candidate in python3.10 python3.9 python3.8 python3 python; do
    command -v "$candidate" >/dev/null 2>&1 && supported "$candidate" && return 0
  done
  local pyenv_root
  pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for candidate in "$pyenv_root"/versions/3.10*/bin/python "$pyenv_root"/versions/3.9*/bin/python \
                   "$pyenv_root"/versions/3.8*/bin/python; do
    [ -x "$candidate" ] && supported "$candidate" && return 0
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! supported .venv/bin/python >/dev/null; then
  if ! python=$(find_python); then
    echo "ERROR: Rasa 3.6 needs Python 3.8, 3.9 or 3.10, and none was found on PATH or in pyenv." >&2
    echo "Install one, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv', then run this again." >&2
    exit 1
  fi
  echo "Using $python"
  rm -rf .venv
  "$python" -m venv .venv
fi

lock_hash=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat .venv/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  .venv/bin/python -m pip install --quiet --upgrade "pip==24.0"
  .venv/bin/python -m pip install --quiet -r requirements.lock
  echo "$lock_hash" > .venv/.lock-hash
fi

if [ -f web/package-lock.json ]; then
  web_hash=$(sha256sum web/package-lock.json | cut -d' ' -f1)
  if [ "$(cat web/node_modules/.lock-hash 2>/dev/null)" != "$web_hash" ]; then
    command -v npm >/dev/null || { echo "ERROR: npm is needed for the chat widget (apt-get install npm)." >&2; exit 1; }
    (cd web && npm ci --no-audit --no-fund --ignore-scripts)
    echo "$web_hash" > web/node_modules/.lock-hash
  fi
fi
mkdir -p var
