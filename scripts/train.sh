#!/usr/bin/env bash
# Trains models/aliexpress.tar.gz when it is missing or older than anything it is trained from.
# Serialized with flock so parallel callers train once. Extra arguments go to `rasa train`;
# Rasa's output goes to var/train.log (its last lines are shown when training fails).
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/aliexpress.tar.gz
inputs=(config.yml domain.yml data components policies parsing)
mkdir -p var

up_to_date() {
  [ -f "$model" ] && [ -z "$(find "${inputs[@]}" -newer "$model" -type f 2>/dev/null | head -1)" ]
}
# Checked before waiting for the lock (other trainings do not delay an up-to-date start) and again
# once it is held (a parallel caller may just have trained it).
if ! up_to_date; then
  exec 9>/tmp/rasa-train.lock
  flock 9
fi
if up_to_date; then
  echo "Model is up to date: $model"
  exit 0
fi
echo "Training $model (log: var/train.log) ..."
# `python -m rasa_patches` is `rasa` with skops imported before TensorFlow: the classifier's save
# imports skops, which takes seconds once TensorFlow is loaded (rasa_patches/__init__.py).
started=$SECONDS
if ! PYTHONPATH=. RASA_TELEMETRY_ENABLED=false .venv/bin/python -m rasa_patches train --fixed-model-name aliexpress --out models "$@" \
    > var/train.log 2>&1; then
  echo "ERROR: training failed; the end of var/train.log:" >&2
  tail -30 var/train.log >&2
  exit 1
fi
touch "$model"
echo "Trained $model in $(( SECONDS - started )) s."
