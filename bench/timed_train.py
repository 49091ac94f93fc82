"""Run the `rasa` CLI with the product's patches (as scripts/train.sh: `python -m rasa_patches`) and
record how long every training-graph node took.

`python -m bench.timed_train TIMINGS.json train --config ... --out ...` wraps Rasa's own LoggingHook
(called before and after every node of the training graph; the graph runs nodes one at a time) and
writes one record per node: name, component class, section (nlu / dialogue / setup), cached, seconds,
and for components trained in epochs (DIET, TED) the epoch count and the first and median epoch time,
taken from Rasa's own per-epoch callback (RasaTrainingLogger).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import rasa_patches  # first: skops before TensorFlow, as scripts/train.sh (rasa_patches/__init__.py)

DIALOGUE_NODES = {
    "domain_for_core_training_provider",
    "forms_provider",
    "responses_provider",
    "story_graph_provider",
    "training_tracker_provider",
    "story_to_nlu_training_data_converter",
    "end_to_end_features_provider",
}
SETUP_NODES = {"domain_provider", "schema_validator", "finetuning_validator"}


def section(node_name: str, component: type) -> str:
    """Which part of training a node belongs to: the NLU pipeline, the dialogue policies, or set-up."""
    from rasa.core.policies.policy import Policy

    if node_name in SETUP_NODES or node_name.startswith("__"):
        return "setup"
    if node_name in DIALOGUE_NODES or node_name.startswith("e2e_") or issubclass(component, Policy):
        return "dialogue"
    return "nlu"


def install_timer(records: List[Dict[str, Any]]) -> None:
    """Wrap LoggingHook and RasaTrainingLogger so that node and epoch times land in `records`."""
    from rasa.engine.training.components import PrecomputedValueProvider
    from rasa.engine.training.hooks import LoggingHook
    from rasa.utils.tensorflow.callback import RasaTrainingLogger

    original_before = LoggingHook.on_before_node
    original_after = LoggingHook.on_after_node
    original_epoch_end = RasaTrainingLogger.on_epoch_end
    started: Dict[str, float] = {}
    epochs: List[float] = []  # epoch durations of the node that is running (nodes run one at a time)
    epoch_started = [0.0]

    def on_before_node(self, node_name, execution_context, config, received_inputs):  # type: ignore[no-untyped-def]
        started[node_name] = epoch_started[0] = time.perf_counter()
        epochs.clear()
        return original_before(self, node_name, execution_context, config, received_inputs)

    def on_after_node(self, node_name, execution_context, config, output, input_hook_data):  # type: ignore[no-untyped-def]
        seconds = time.perf_counter() - started.pop(node_name, time.perf_counter())
        component = execution_context.graph_schema.nodes[node_name].uses
        record = {
            "node": node_name,
            "component": component.__name__,
            "section": section(node_name, component),
            "cached": self._pruned_schema.nodes[node_name].uses is PrecomputedValueProvider,
            "seconds": round(seconds, 4),
        }
        if epochs:
            record["epochs"] = len(epochs)
            record["first_epoch_s"] = round(epochs[0], 4)
            record["median_epoch_s"] = round(statistics.median(epochs[1:] or epochs), 4)
        records.append(record)
        return original_after(self, node_name, execution_context, config, output, input_hook_data)

    def on_train_begin(self, logs=None):  # type: ignore[no-untyped-def]
        epoch_started[0] = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        epochs.append(now - epoch_started[0])
        epoch_started[0] = now
        return original_epoch_end(self, epoch, logs)

    LoggingHook.on_before_node = on_before_node  # type: ignore[method-assign]
    LoggingHook.on_after_node = on_after_node  # type: ignore[method-assign]
    RasaTrainingLogger.on_train_begin = on_train_begin  # type: ignore[method-assign]
    RasaTrainingLogger.on_epoch_end = on_epoch_end  # type: ignore[method-assign]


def main() -> int:
    timings_path = Path(sys.argv[1])
    records: List[Dict[str, Any]] = []
    rasa_patches.install()
    install_timer(records)
    sys.argv = ["rasa", *sys.argv[2:]]
    from rasa.__main__ import main as rasa_main

    code = 0
    try:
        rasa_main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    finally:
        timings_path.write_text(json.dumps(records, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
