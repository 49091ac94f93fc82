#!/usr/bin/env bash
# Trains models/aliexpress.tar.gz when it is missing or older than anything it is trained from.
# Serialized with flock so parallel callers train once. Extra arguments go to `rasa train`.
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/aliexpress.tar.gz
inputs=(config.yml domain.yml data components policies)

exec 9>/tmp/rasa-train.lock
flock 9
if [ -f "$model" ] && [ -z "$(find "${inputs[@]}" -newer "$model" -type f 2>/dev/null | head -1)" ]; then
  echo "Model is up to date: $model"
  exit 0
fi
echo "Training $model ..."
PYTHONPATH=. .venv/bin/rasa train --fixed-model-name aliexpress --out models "$@"
touch "$model"
