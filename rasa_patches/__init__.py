"""Rasa 3.6 patches the product loads in every Rasa process (via `stores.tracker`).

Importing this package first also imports skops, the loader of the logistic-regression intent
classifier, before anything imports TensorFlow: skops lists its trusted types at import time by
searching every loaded module for numpy's functions, so it is slow once TensorFlow's thousands
of modules are loaded (seconds of start-up, and about 8 s of a training's save of the classifier
on 2 busy cores). The Rasa server and the training are started through `python -m rasa_patches`
(this package's `__main__`) so that this comes first.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate()` on every
action-server response. That call checks Rasa's large events schema against the JSON-Schema
meta-schema and builds a new validator each time (about 54 ms per custom action on 2 shared
cores, half of a message's time). `install()` swaps in the same check with one validator built
once: same schema, same `best_match` error, same message. Most of what is left is the schema's
`oneOf` over 23 event types, each event checked against all of them (and an error object built
for each type it is not). Each branch requires its own `event` name (`const`), so an event with
a string name is valid under the `oneOf` exactly when the one branch of that name accepts it: a
response passes when the schema without the `oneOf` and each event's own branch accept it; any
other response goes through the whole schema, which gives the error.

Rasa 3.6's `Event.resolve_by_type` walks every subclass of `Event` for each event it reads back
(tracker store reads and action-server responses: ~50 walks a message, most of a tracker read).
`install()` swaps in a table from type name to class, built by the same walk and built again
when a name is missing (an event class imported since), so it returns what Rasa's walk returns.

Rasa 3.6 runs its inference graph (NLU for every message, the policies after every action)
through dask's local scheduler: ordering, queues and callbacks for a dozen nodes, about 0.4 ms
of CPU a run, three runs a message. `install()` swaps in a plain recursive walk of the same dask
graph that calls each node once, after the nodes it needs, with dask's rules for the values
(a needed name that is no node is passed as the name itself, an input is its literal tuple).
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import skops.io  # noqa: F401  (before TensorFlow: see above)

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

# Rasa's own functions, kept for the tests that compare the results.
rasa_validate_action_result = RemoteAction._validate_action_result
rasa_resolve_event_type = Event.resolve_by_type
rasa_run_graph = DaskGraphRunner.run


@lru_cache(maxsize=1)
def action_response_validator() -> Validator:
    """Validator for Rasa's action-server response schema, checked and built once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def event_branch_validators() -> Tuple[Validator, Dict[Text, Validator]]:
    """Validators for the response schema without the events' `oneOf`, and for each branch by name."""
    schema = RemoteAction.action_response_format_spec()
    branches = schema["properties"]["events"]["items"]["oneOf"]
    without_branches = copy.deepcopy(schema)
    del without_branches["properties"]["events"]["items"]["oneOf"]
    cls = validator_for(schema)
    by_name = {branch["properties"]["event"]["const"]: cls(branch) for branch in branches}
    assert len(by_name) == len(branches), "every branch of Rasa's events schema names its own event"
    return cls(without_branches), by_name


def is_valid_action_result(result: Any) -> bool:
    """What the whole schema says of a response, one branch per event (see the module's doc)."""
    without_branches, by_name = event_branch_validators()
    if not without_branches.is_valid(result):
        return False
    for event in result.get("events", []):
        branch = by_name.get(event["event"])
        if branch is None or not branch.is_valid(event):
            return False
    return True


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Drop-in for `RemoteAction._validate_action_result` with the cached validators."""
    if is_valid_action_result(result):
        return True
    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


EVENT_CLASSES: Dict[Text, Type[Event]] = {}


def resolve_event_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Drop-in for `Event.resolve_by_type`: the first subclass with that name, from a table."""
    if type_name not in EVENT_CLASSES:
        for cls in all_subclasses(Event):
            EVENT_CLASSES.setdefault(cls.type_name, cls)
    if type_name in EVENT_CLASSES:
        return EVENT_CLASSES[type_name]
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events are skipped
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def run_graph(
    self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    """Drop-in for `DaskGraphRunner.run`: the same graph, each node called once without dask."""
    run_targets = targets if targets else self._graph_schema.target_names
    graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    results: Dict[Text, Any] = {}

    def result(key: Text) -> Any:
        if key not in results:
            task = graph[key]
            results[key] = task[0](*(value(need) for need in task[1:])) if callable(task[0]) else task
        return results[key]

    def value(need: Text) -> Any:
        return result(need) if need in graph else need

    try:
        return dict(result(target) for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def install() -> None:
    """Use the cached validator, event table and graph walk in this process (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
    DaskGraphRunner.run = run_graph  # type: ignore[method-assign]
