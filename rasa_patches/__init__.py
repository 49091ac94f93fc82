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
The dask graph of each set of targets is built once per runner (Rasa builds it, and the
minimal schema under it with a recursive walk of every node's needs, on every run: ~0.2 ms of a
parse); each run adds its inputs to a copy.

Rasa 3.6's `RulePolicy._get_possible_keys` filters every rule against every state of the whole
conversation, newest first, though a rule is applicable by definition at every turn further back
than its own length (the rules here are at most 4 states long, a conversation 40 and more).
`install()` stops the filtering once past the longest rule: the same keys remain. At the newest
state it tries only the rules whose last state can match it: a rule whose last state has a
previous action and names an action or an intent (neither empty nor `should_not_be_set`) fails
`_is_rule_applicable` for a state with another action or intent, so the rules are indexed by
those two names (a rule without a previous action is always tried: Rasa lets it match any state
without one whatever its intent).

Rasa 3.6's MemoizationPolicy and RulePolicy (twice, for the text and the intent of the last
message) each turn the tracker into its past states with `Domain.states_for_tracker_history`:
the tracker is replayed event by event and each turn's state built, three or four times for one
prediction, and again for the prediction after the action. `install()` keeps the replayed turns
(each turn's flags and its state) of the trackers asked about, each while it is the same tracker
object with the same events; when the tracker has more events since (the next prediction of the
message) and its applied events still start with those replayed, the replay goes on from where
it stopped. Each policy's states are built from the turns with Rasa's own steps; every caller
gets its own copies of the states (the policies change them). `DialogueStateTracker.applied_events`
(the events a replay applies: Rasa walks all of them, and back over the applied ones at each
step of a form) is kept per tracker the same way, and goes on over the new events while they
activate no other loop.

Every `DialogueStateTracker` Rasa 3.6 creates (a dozen a message: the tracker read back, a
copy before each action, the replays of the policies and forms) copies each slot of the domain
with `copy.copy`, which goes through `__reduce_ex__` and `copyreg`. `install()` gives `Slot` a
`__copy__` that does what that path does for these plain objects (a new instance of the class
with the same attribute dictionary, none of Rasa's slot classes has `__slots__` or its own
`__reduce__`/`__getstate__`/`__setstate__`), in a fifth of the time.

Rasa 3.6's `MessageProcessor._check_for_unseen_features` asks `Domain.is_empty()`, which builds
a new empty `Domain` for every message to compare with. `install()` compares with the dictionary
of one empty `Domain` built once.

Rasa 3.6's `EndpointConfig.request` opens a new aiohttp session, and so a new TCP connection to
the action server, for every custom action call (and the action server sets up a connection for
each). `install()` keeps one session per endpoint and event loop (aiohttp keeps the connection
alive 15 s; the action server keeps it 75 s, scripts/run.sh), with the same headers, auth and
time-out; the server's shutdown (`rasa.core.run.close_resources`) closes it. Its request bodies
are written by ujson: the same JSON values (ASCII, escapes as the json module's), in 0.3 ms
instead of 0.7 ms for a call's ~35 kB tracker, the largest single cost of a call on Rasa's side.

Rasa 3.6 logs through structlog with arguments built before the call, also when debug logging is
off: the processor, the form action, the memoization and rule policies pass `copy.deepcopy(...)`
of the states, events and slots to `structlogger.debug` (every past state of the conversation,
twice per prediction), about 0.5 ms of a message thrown away. Those four modules use `copy` for
nothing else (tests/bench checks their source), so `install()` gives them a `copy` whose
`deepcopy` returns its argument unchanged while structlog's debug calls are no-ops (Rasa's
`configure_structlog` below DEBUG), and copies as Rasa does when they log.

The Rasa server's Python objects after the model is loaded (TensorFlow's, spaCy's, the model's:
about two million) live as long as the process, yet each full collection of the cyclic garbage
collector walks them all. `install()` moves them out of its reach (`gc.freeze()`) once the agent
is loaded (`rasa.core.run.load_agent_on_start`): nothing is freed differently, since objects that
live that long are never garbage.

aiohttp 3.9 sends a request's status line and headers with one write to the socket and its body
with another (from a task of its own), so each action call costs Rasa two sends on loopback and the
action server two wake-ups and reads. `install()` has the client's writer keep the headers and send
them with the first bytes of the body (or at the end of the request, or before waiting for the
socket to drain): the same bytes in the same order, as aiohttp 3.10 does.
"""
from __future__ import annotations

import asyncio
import copy
import gc
import itertools
import operator
import weakref
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Set, Text, Tuple, Type

import skops.io  # noqa: F401  (before TensorFlow: see above)

import aiohttp
import aiohttp.client_reqrep
from aiohttp.http_writer import StreamWriter
import rasa.core.actions.forms
import rasa.core.policies.memoization
import rasa.core.policies.rule_policy
import rasa.core.processor
import rasa.core.run
import structlog
import structlog._native
import ujson
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

# Rasa's own functions, kept for the tests that compare the results.
rasa_validate_action_result = RemoteAction._validate_action_result
rasa_resolve_event_type = Event.resolve_by_type
rasa_run_graph = DaskGraphRunner.run
rasa_get_possible_keys = RulePolicy._get_possible_keys
rasa_states_for_tracker_history = Domain.states_for_tracker_history
rasa_applied_events = DialogueStateTracker.applied_events
rasa_domain_is_empty = Domain.is_empty
rasa_endpoint_session = EndpointConfig.session
rasa_close_resources = rasa.core.run.close_resources
rasa_stream_writer = aiohttp.client_reqrep.StreamWriter
rasa_load_agent_on_start = rasa.core.run.load_agent_on_start


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


def built_graph(runner: DaskGraphRunner, targets: Tuple[Text, ...]) -> Dict[Text, Any]:
    """Rasa's dask graph for `targets` without inputs, built once per runner (its schema and
    instantiated nodes are set when it is made and never change)."""
    kept = runner.__dict__.setdefault("_built_graphs", {})
    if targets not in kept:
        kept[targets] = runner._build_dask_graph(runner._graph_schema.minimal_graph_schema(list(targets)))
    return kept[targets]


def run_graph(
    self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    """Drop-in for `DaskGraphRunner.run`: the same graph, each node called once without dask."""
    run_targets = targets if targets else self._graph_schema.target_names
    graph = dict(built_graph(self, tuple(run_targets)))
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


def required_name(sub_state: Optional[Dict[Text, Any]], key: Text) -> Optional[Text]:
    """The name a rule's sub-state requires under `key` (None: it requires none)."""
    value = (sub_state or {}).get(key)
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None


RuleIndex = Dict[Tuple[Optional[Text], Optional[Text]], List[Text]]
# Per lookup (held here, so its id stays its own): its size when indexed and the index. Rasa only
# ever removes rules from a lookup in place (while training), so a change of size means a change.
RULE_INDEXES: Dict[int, Tuple[Dict[Text, Text], int, RuleIndex]] = {}


def rule_index(policy: RulePolicy, lookup: Dict[Text, Text]) -> RuleIndex:
    """The lookup's rule keys by the (previous action, intent) names their last state requires."""
    kept = RULE_INDEXES.get(id(lookup))
    if kept is None or kept[1] != len(lookup):
        index: RuleIndex = {}
        for key in lookup:
            last = policy._rule_key_to_state(key)[-1]
            previous_action = last.get(PREVIOUS_ACTION)
            names = ((required_name(previous_action, ACTION_NAME), required_name(last.get(USER), INTENT))
                     if previous_action else (None, None))
            index.setdefault(names, []).append(key)
        kept = RULE_INDEXES[id(lookup)] = (lookup, len(lookup), index)
    return kept[2]


def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
    """Drop-in for `RulePolicy._get_possible_keys`: Rasa's filter, over the indexed candidates at
    the newest state and up to the longest rule's length."""
    if not states:
        return set(lookup.keys())
    index = rule_index(self, lookup)
    action, intent = states[-1].get(PREVIOUS_ACTION, {}).get(ACTION_NAME), states[-1].get(USER, {}).get(INTENT)
    candidates = [key for names in {(action, intent), (action, None), (None, intent), (None, None)}
                  for key in index.get(names, [])]
    possible_keys = set(candidates)
    longest = max((len(self._rule_key_to_state(key)) for key in possible_keys), default=0)
    for i, state in enumerate(reversed(states)):
        if i >= longest:
            break  # every rule is applicable this far back (`_is_rule_applicable`)
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, i, state)}
    return possible_keys


# One turn of a replayed tracker: whether the action is hidden from ML policies, the followup
# action, the latest action's name, the active loop's name, the previous-action sub-state and the
# turn's state (`Domain.get_active_state`).
Turn = Tuple[bool, Optional[Text], Optional[Text], Optional[Text], Optional[Dict[Text, Any]], State]


class TrackerKept:
    """Values kept for the trackers last asked about, each while it has the events it had then.

    A tracker's events are only ever appended to its deque (`DialogueStateTracker.update`; a
    reset makes a new deque), so the same deque with the same length and the same last event
    object holds the same events. Keyed by the tracker's id; the entry holds a weak reference
    to the tracker (so the id cannot be another tracker's while it lives) and is dropped when
    the tracker goes. The newest `size` trackers are kept (one per conversation being answered).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: "OrderedDict[int, Tuple[weakref.ref, Any, int, Optional[Event], Any]]" = OrderedDict()

    def get(self, tracker: DialogueStateTracker) -> Optional[Tuple[int, Any]]:
        """(number of events then, value) for this tracker, if its events are those then or more."""
        entry = self.entries.get(id(tracker))
        if entry is None or entry[0]() is not tracker or entry[1] is not tracker.events:
            return None
        _, _, length, last_event, value = entry
        events = tracker.events
        if len(events) < length or (length and events[length - 1] is not last_event):
            return None
        return length, value

    def put(self, tracker: DialogueStateTracker, value: Any) -> None:
        key = id(tracker)
        events = tracker.events
        self.entries[key] = (weakref.ref(tracker, self._forget), events, len(events), events[-1] if events else None, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def drop(self, tracker: DialogueStateTracker) -> None:
        self.entries.pop(id(tracker), None)

    def _forget(self, gone: "weakref.ref") -> None:
        """A kept tracker is gone: its entry goes (unless its id is another tracker's by now)."""
        for key, entry in list(self.entries.items()):
            if entry[0] is gone:
                self.entries.pop(key, None)


APPLIED = TrackerKept(64)


def loop_names_of(events: Iterable[Event]) -> Set[Text]:
    """The loops Rasa's `applied_events` looks for: every named `ActiveLoop` of the events."""
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def fold_applied(tracker: DialogueStateTracker, applied: List[Event], events: Iterable[Event], loop_names: Set[Text]) -> None:
    """The loop of Rasa's `applied_events` over `events`, going on from `applied` (changed in place)."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
              and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def applied_events(self: DialogueStateTracker) -> List[Event]:
    """Drop-in for `DialogueStateTracker.applied_events`, kept per tracker.

    Rasa's is a walk over all the events (one back over the applied ones at each step of a
    form: ~0.25 ms for a conversation with a form) that a message asks for about four times (the
    session check, the session's expiry, the replay of each prediction). Unchanged events give
    the kept list. Rasa's walk first gathers the names of all the loops the events activate,
    then goes through the events once with what it applied so far as its only state: so for
    more events that activate no other loop, it goes on over the new events from the kept
    list; otherwise Rasa's own function runs.
    """
    kept = APPLIED.get(self)
    events = self.events
    if kept is not None:
        length, (loop_names, applied) = kept
        if length == len(events):
            return list(applied)
        new_events = list(itertools.islice(events, length, None))
        if loop_names_of(new_events) <= loop_names:
            applied = list(applied)
            fold_applied(self, applied, new_events, loop_names)
            APPLIED.put(self, (loop_names, applied))
            return list(applied)
    applied = rasa_applied_events(self)
    APPLIED.put(self, (loop_names_of(events), applied))
    return list(applied)


class Replay:
    """A tracker's replay (`generate_all_prior_trackers`) as turns, with the replaying tracker
    after its last applied event, for the domain and `omit_unset_slots` it was made with."""

    def __init__(self, domain: Domain, omit_unset_slots: bool, applied: List[Event],
                 replaying: DialogueStateTracker, turns: List[Turn]) -> None:
        self.domain, self.omit_unset_slots = domain, omit_unset_slots
        self.applied, self.replaying, self.turns = applied, replaying, turns


def turn_of(domain: Domain, replaying: DialogueStateTracker, hide_rule_turn: bool, omit_unset_slots: bool) -> Turn:
    return (hide_rule_turn, replaying.followup_action, replaying.latest_action_name, replaying.active_loop_name,
            domain._get_prev_action_sub_state(replaying),
            domain.get_active_state(replaying, omit_unset_slots=omit_unset_slots))


REPLAYS = TrackerKept(64)


def replayed_turns(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> List[Turn]:
    """Each turn of `tracker.generate_all_prior_trackers()` (Rasa's loop, below), kept per tracker.

    A tracker asked about again with the same events gets the same turns. With more events (the
    prediction after an action, on the same tracker) whose applied events start with the ones
    replayed before, the replay goes on from where it stopped: the turns before the last are
    those a new replay makes (each is taken before an applied event and depends only on the
    applied events before it), the last is taken again after the new events.
    """
    kept = REPLAYS.get(tracker)
    applied = tracker.applied_events()
    replay = kept[1] if kept is not None else None
    if (replay is not None and replay.domain is domain and replay.omit_unset_slots == omit_unset_slots
            and len(applied) >= len(replay.applied) and all(map(operator.is_, replay.applied, applied))):
        if kept[0] == len(tracker.events):
            return replay.turns
        REPLAYS.drop(tracker)  # put back below once the replay is whole (it goes on in place)
        replaying, turns, new_events = replay.replaying, replay.turns[:-1], applied[len(replay.applied):]
    else:
        replaying, turns, new_events = tracker.init_copy(), [], applied
    for event in new_events:
        if isinstance(event, ActionExecuted):
            turns.append(turn_of(domain, replaying, event.hide_rule_turn, omit_unset_slots))
        replaying.update(event)
    turns.append(turn_of(domain, replaying, False, omit_unset_slots))
    REPLAYS.put(tracker, Replay(domain, omit_unset_slots, applied, replaying, turns))
    return turns


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[State]:
    """Drop-in for `Domain.states_for_tracker_history`: Rasa's steps over the kept replay."""
    states: List[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for hide_rule_turn, followup_action, action_name, loop_name, prev_action, active_state in replayed_turns(
        self, tracker, omit_unset_slots
    ):
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = None if prev_action is None else dict(prev_action)
            if not followup_action and not action_name == loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                continue
        # A copy down to the sub-states (their values are strings and tuples): callers change them.
        state = {state_type: dict(sub_state) for state_type, sub_state in active_state.items()}
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state
        states.append(self._clean_state(state))
    return states


def copy_slot(self: Slot) -> Slot:
    """`Slot.__copy__`: what `copy.copy` makes of a slot by `__reduce_ex__`, without the detour."""
    copied = self.__class__.__new__(self.__class__)
    copied.__dict__.update(self.__dict__)
    return copied


@lru_cache(maxsize=1)
def empty_domain_dict() -> Dict[Text, Any]:
    return Domain.empty().as_dict()


def domain_is_empty(self: Domain) -> bool:
    """Drop-in for `Domain.is_empty`, with the empty domain's dictionary built once."""
    return self.as_dict() == empty_domain_dict()


class KeptSession:
    """`async with` on a kept session: gives the session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


# The kept session of each endpoint (held here, so its id stays its own) and event loop.
KEPT_SESSIONS: Dict[Tuple[int, asyncio.AbstractEventLoop], Tuple[EndpointConfig, aiohttp.ClientSession]] = {}


def new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The session Rasa's `EndpointConfig.session` opens, with ujson writing the JSON bodies."""
    auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"]) if endpoint.basic_auth else None
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=ujson.dumps,
    )


def endpoint_session(self: EndpointConfig) -> KeptSession:
    """Drop-in for `EndpointConfig.session` as `request` uses it: one session, kept open."""
    key = (id(self), asyncio.get_running_loop())
    kept = KEPT_SESSIONS.get(key)
    if kept is None or kept[1].closed:
        kept = KEPT_SESSIONS[key] = (self, new_session(self))
    return KeptSession(kept[1])


async def close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Rasa's `close_resources` at the server's shutdown, then the kept sessions of this loop."""
    await rasa_close_resources(app, loop)
    for key in [key for key in KEPT_SESSIONS if key[1] is loop]:
        await KEPT_SESSIONS.pop(key)[1].close()


def debug_logged() -> bool:
    """Whether structlog's debug calls log (Rasa's filtering logger below DEBUG makes them no-ops)."""
    return structlog.get_config()["wrapper_class"].debug is not getattr(structlog._native, "_nop", None)


class DebugArgumentCopies:
    """The `copy` module as the modules of `DEBUG_COPY_MODULES` see it: their deep copies are only
    ever arguments of `structlogger.debug`, built for nothing unless debug calls log."""

    def __getattr__(self, name: Text) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
        return copy.deepcopy(value, memo) if debug_logged() else value


DEBUG_COPY_MODULES = [rasa.core.processor, rasa.core.actions.forms, rasa.core.policies.memoization,
                      rasa.core.policies.rule_policy]


async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
    """Rasa's `load_agent_on_start`, then the loaded objects out of the garbage collector's walks."""
    loaded = await rasa_load_agent_on_start(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return loaded


class HeadersWithBodyWriter(StreamWriter):
    """aiohttp's request writer, the headers sent with the body's first bytes (see the module's doc)."""

    pending_headers = b""

    async def write_headers(self, status_line: str, headers: Any) -> None:
        if self._on_headers_sent is not None:
            await self._on_headers_sent(headers)
        self.pending_headers = aiohttp.http_writer._serialize_headers(status_line, headers)

    def _write(self, chunk: bytes) -> None:
        if self.pending_headers:
            chunk, self.pending_headers = self.pending_headers + bytes(chunk), b""
        if chunk:
            super()._write(chunk)

    async def write_eof(self, chunk: bytes = b"") -> None:
        self._write(b"")  # the headers of a request without a body
        await super().write_eof(chunk)

    async def drain(self) -> None:
        self._write(b"")  # whoever waits for the socket waits for the headers to be out too
        await super().drain()


def install() -> None:
    """Install every patch above in this process (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
    DaskGraphRunner.run = run_graph  # type: ignore[method-assign]
    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
    Domain.is_empty = domain_is_empty  # type: ignore[method-assign]
    Slot.__copy__ = copy_slot  # type: ignore[attr-defined]
    EndpointConfig.session = endpoint_session  # type: ignore[method-assign]
    rasa.core.run.close_resources = close_resources
    rasa.core.run.load_agent_on_start = load_agent_on_start
    for module in DEBUG_COPY_MODULES:
        module.copy = DebugArgumentCopies()  # type: ignore[attr-defined]
    aiohttp.client_reqrep.StreamWriter = HeadersWithBodyWriter  # type: ignore[misc]
