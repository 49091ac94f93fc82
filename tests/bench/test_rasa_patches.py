"""The Rasa patches give Rasa's own results: the action-response validator its verdicts and errors,
the event table its event classes, the graph walk the dask runner's outputs, the kept replay and
the shortened rule filter the policies' states, rule keys and predictions, the kept session the
action server's answers."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner

import rasa_patches
from tests.support.servers import ROOT

rasa_patches.install()  # as in the product's Rasa processes; tests swap Rasa's functions back to compare
STOCK = rasa_patches.rasa_validate_action_result

VALID: Dict[str, Any] = {
    "events": [
        {"event": "slot", "name": "order_id", "value": "8123456789012345"},
        {"event": "active_loop", "name": "support_request_form"},
    ],
    "responses": [{"text": "请提供订单号", "buttons": [{"title": "跳过", "payload": "/deny"}]}],
}
INVALID = [
    {"events": [{"event": "slot"}], "responses": []},
    {"events": "not a list"},
    {"events": [], "responses": ["text instead of an object"]},
]

EVENT_NAMES = ["slot", "action", "user", "bot", "active_loop", "followup", "reset_slots", "session_started", "x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
events = st.fixed_dictionaries(
    {"event": st.sampled_from(EVENT_NAMES)},
    optional={"name": st.one_of(st.text(max_size=8), st.integers()), "value": values, "timestamp": scalars},
)
responses = st.one_of(
    st.fixed_dictionaries({}, optional={"text": st.one_of(st.text(max_size=8), st.integers()), "buttons": values}),
    values,
)
results = st.one_of(
    st.fixed_dictionaries({}, optional={"events": st.one_of(st.lists(events, max_size=4), values),
                                        "responses": st.one_of(st.lists(responses, max_size=3), values)}),
    values,
)


def verdict(method: Any, result: Any) -> Optional[tuple]:
    """None when valid, else the error's message, path and failing keyword."""
    try:
        assert method(RemoteAction("action_x", None), result) is True
        return None
    except ValidationError as error:
        return error.message, list(error.path), error.validator


def test_valid_response_passes_both() -> None:
    assert STOCK is not rasa_patches.validate_action_result
    assert verdict(STOCK, VALID) is None
    assert verdict(rasa_patches.validate_action_result, VALID) is None


@pytest.mark.parametrize("result", INVALID)
def test_invalid_response_raises_the_same_error(result: Dict[str, Any]) -> None:
    expected = verdict(STOCK, result)
    assert expected is not None and "Failed to validate Action server response" in expected[0]
    assert verdict(rasa_patches.validate_action_result, result) == expected


@settings(max_examples=300, deadline=None)
@given(results)
def test_same_verdict_as_rasa_on_any_response(result: Any) -> None:
    assert verdict(rasa_patches.validate_action_result, result) == verdict(STOCK, result)


@settings(max_examples=500, deadline=None)
@given(results)
def test_one_branch_per_event_judges_as_the_whole_schema(result: Any) -> None:
    assert rasa_patches.is_valid_action_result(result) == rasa_patches.action_response_validator().is_valid(result)


def test_one_branch_per_event_judges_every_event_type_as_the_whole_schema() -> None:
    """Each of Rasa's event types, valid and with a wrong field, and an event without a name."""
    events = [{"event": name, "name": "x", "value": 1, "entities": []} for name in rasa_patches.event_branch_validators()[1]]
    events += [{"event": "slot", "name": 3, "value": 1}, {"event": "user", "parse_data": {"intent": 1}}, {"name": "x"}]
    for event in events:
        result = {"events": [event], "responses": []}
        assert rasa_patches.is_valid_action_result(result) == rasa_patches.action_response_validator().is_valid(result), event


def test_the_product_tracker_store_installs_the_patch() -> None:
    """Every Rasa start path loads stores.tracker (endpoints*.yml): that import installs the patch."""
    code = (
        "from rasa.core.actions.action import RemoteAction; import rasa_patches, stores.tracker; "
        "assert RemoteAction._validate_action_result is rasa_patches.validate_action_result"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, check=True, timeout=120)


def test_every_start_path_loads_the_product_tracker_store(tmp_path: Path) -> None:
    """run.sh and shell.sh (stores.local from endpoints.yml), the container (endpoints.prod.yml) and
    the test servers (bench.harness.write_endpoints) all name the store that installs the patch."""
    from bench.harness import PRODUCT_TRACKER_STORE, write_endpoints
    from stores.local import local_endpoints

    for name in ("endpoints.yml", "endpoints.prod.yml"):
        assert yaml.safe_load((ROOT / name).read_text())["tracker_store"]["type"] == PRODUCT_TRACKER_STORE, name
    assert local_endpoints(tmp_path, 5055, 2)["tracker_store"]["type"] == PRODUCT_TRACKER_STORE
    harness = yaml.safe_load(write_endpoints(tmp_path, "http://127.0.0.1:1", tmp_path / "t.db").read_text())
    assert harness["tracker_store"]["type"] == PRODUCT_TRACKER_STORE
    for script in ("run.sh", "shell.sh"):
        assert "-m stores.local" in (ROOT / "scripts" / script).read_text(), script
    assert "endpoints.prod.yml" in (ROOT / "deploy" / "entrypoint.sh").read_text()


def test_event_table_resolves_every_name_as_rasa() -> None:
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "session_started", "active_loop"} <= names
    for name in names:
        assert rasa_patches.resolve_event_type(name) is rasa_patches.rasa_resolve_event_type(name), name
    assert rasa_patches.resolve_event_type("topic") is rasa_patches.rasa_resolve_event_type("topic") is None
    assert rasa_patches.resolve_event_type("nonsense", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'nonsense'"):
        rasa_patches.resolve_event_type("nonsense")
    with pytest.raises(ValueError, match="Unknown event name 'nonsense'"):
        rasa_patches.rasa_resolve_event_type("nonsense")


def test_the_server_command_loads_skops_before_tensorflow_and_installs_the_patches() -> None:
    """`python -m rasa_patches` (run.sh, shell.sh, the container, the harness) is `rasa` with the patches."""
    code = (
        "import sys, runpy; sys.argv = ['rasa_patches', '--version']\n"
        "try: runpy.run_module('rasa_patches', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "import rasa_patches; from rasa.shared.core.events import Event\n"
        "assert Event.resolve_by_type is rasa_patches.resolve_event_type\n"
        "assert list(sys.modules).index('skops.io') < list(sys.modules).index('tensorflow')\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, check=True, timeout=300)
    for script in ("run.sh", "shell.sh"):
        assert "python -m rasa_patches" in (ROOT / "scripts" / script).read_text(), script
    assert "python -m rasa_patches" in (ROOT / "deploy" / "entrypoint.sh").read_text()


@pytest.fixture(scope="module")
def processor(trained_model: Path) -> Any:
    """The trained model's message processor."""
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model)).processor


def benchmark_conversation(processor: Any) -> list:
    """Each of the benchmark's messages parsed, then the next action predicted before and after
    the predicted action runs, all in one conversation."""
    import asyncio

    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    texts = yaml.safe_load((ROOT / "bench" / "workload.yml").read_text(encoding="utf-8"))["parse_messages"]
    tracker = DialogueStateTracker("u1", processor.domain.slots)
    seen = []
    for text in texts:
        parsed = asyncio.run(processor.parse_message(UserMessage(text)))
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        prediction = processor._predict_next_with_tracker(tracker)
        tracker.update(ActionExecuted(processor.domain.action_names_or_texts[prediction.max_confidence_index]))
        after_action = processor._predict_next_with_tracker(tracker)
        seen.append((parsed, prediction.probabilities, prediction.policy_name,
                     after_action.probabilities, after_action.policy_name))
    return seen


def test_graph_walk_gives_what_dask_gives(processor: Any) -> None:
    """The trained model's NLU and policy graphs, run by Rasa's dask runner and by the walk that
    replaces it, parse the benchmark's messages alike and predict the same next actions."""
    walked = benchmark_conversation(processor)
    try:
        DaskGraphRunner.run = rasa_patches.rasa_run_graph
        assert benchmark_conversation(processor) == walked
    finally:
        rasa_patches.install()


@pytest.fixture(scope="module")
def policies_and_trackers(processor: Any) -> Any:
    """The trained model's processor and every prefix of the trackers of the stories, rules and test stories."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data"), str(ROOT / "tests" / "stories")]
    )
    trackers = TrainingDataGenerator(
        importer.get_stories(), processor.domain, augmentation_factor=0, use_story_concatenation=False
    ).generate()
    prefixes = [DialogueStateTracker.from_events(tracker.sender_id, list(tracker.events)[:end + 1], processor.domain.slots)
                for tracker in trackers for end, event in enumerate(tracker.events) if event.type_name == "action"]
    assert len(prefixes) > 500 and sum(1 for tracker in prefixes if tracker.active_loop_name) > 100
    return processor, prefixes


def test_states_from_the_kept_replay_are_rasas(policies_and_trackers: Any) -> None:
    """Each policy's view (ML turns only or all, with and without rule-only slots and loops), asked
    twice of the same tracker (the second from the kept replay), equals Rasa's; changing the
    states one caller got changes nothing for the next."""
    processor, prefixes = policies_and_trackers
    domain = processor.domain
    rule_only = [None, {"rule_only_slots": [slot.name for slot in domain.slots[:5]], "rule_only_loops": domain.form_names}]
    for tracker in prefixes:
        for ignore in (False, True):
            for data in rule_only:
                expected = rasa_patches.rasa_states_for_tracker_history(
                    domain, tracker, ignore_rule_only_turns=ignore, rule_only_data=data)
                first = rasa_patches.states_for_tracker_history(domain, tracker, ignore_rule_only_turns=ignore, rule_only_data=data)
                assert first == expected
                for state in first:
                    state.clear()
                second = rasa_patches.states_for_tracker_history(domain, tracker, ignore_rule_only_turns=ignore, rule_only_data=data)
                assert second == expected


@pytest.fixture(scope="module")
def story_event_lists(policies_and_trackers: Any) -> Any:
    """The events of each story, rule and test story, one with a rewound user turn, an undone
    action and a restart appended (so that applied events drop what came before)."""
    from rasa.shared.core.events import ActionExecuted, ActionReverted, Restarted, UserUttered, UserUtteranceReverted

    processor, prefixes = policies_and_trackers
    longest = {}
    for tracker in prefixes:
        longest[tracker.sender_id] = max(longest.get(tracker.sender_id, []), list(tracker.events), key=len)
    lists = list(longest.values())
    extra = [UserUtteranceReverted(), ActionExecuted("action_listen"), UserUttered("再说一遍", {"name": "greet"}),
             ActionExecuted("utter_greet"), ActionReverted(), Restarted(), ActionExecuted("action_listen")]
    lists += [events + extra for events in lists[:40]]
    assert sum(1 for events in lists if any(getattr(e, "type_name", "") == "active_loop" for e in events)) > 20
    return processor, lists


def test_applied_events_and_states_of_a_growing_tracker_are_rasas(story_event_lists: Any) -> None:
    """One tracker per story grows event by event, as a conversation's tracker does between the
    predictions of a message: after each event its applied events (kept) and each policy's view
    of it (the replay going on from the kept one, or made anew when the applied events changed
    behind it) equal what Rasa's own functions give for a new tracker with the same events."""
    from rasa.shared.core.trackers import DialogueStateTracker

    processor, lists = story_event_lists
    domain = processor.domain
    rule_only = {"rule_only_slots": [slot.name for slot in domain.slots[:5]], "rule_only_loops": domain.form_names}
    continued = 0
    for events in lists:
        tracker = DialogueStateTracker("grown", domain.slots)
        for event in events:
            tracker.update(event)
            fresh = DialogueStateTracker.from_events("fresh", list(tracker.events), domain.slots)
            assert tracker.applied_events() == rasa_patches.rasa_applied_events(fresh)
            assert tracker.applied_events() == rasa_patches.rasa_applied_events(tracker)
            kept = rasa_patches.REPLAYS.get(tracker)
            continued += kept is not None and kept[0] < len(tracker.events)
            for ignore, data in ((False, None), (True, rule_only)):
                assert rasa_patches.states_for_tracker_history(
                    domain, tracker, ignore_rule_only_turns=ignore, rule_only_data=data
                ) == rasa_patches.rasa_states_for_tracker_history(domain, fresh, ignore_rule_only_turns=ignore, rule_only_data=data)
    assert continued > 1000  # most steps went on from the kept replay


def test_kept_values_go_with_their_tracker() -> None:
    """A kept tracker's entry goes when the tracker is collected, and a tracker whose events were
    reset (a new deque) or cut by its event history limit is not taken for the one kept."""
    import gc

    from rasa.shared.core.events import ActionExecuted, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    kept = rasa_patches.TrackerKept(4)
    tracker = DialogueStateTracker("t", [], max_event_history=2)
    tracker.update(ActionExecuted("action_listen"))
    kept.put(tracker, "value")
    assert kept.get(tracker) == (1, "value")
    tracker.update(SlotSet("x", 1))
    assert kept.get(tracker) == (1, "value")  # more events: the caller decides what still holds
    kept.put(tracker, "value")
    tracker.update(SlotSet("x", 2))  # the history limit drops the oldest event
    assert len(tracker.events) == 2 and kept.get(tracker) is None
    tracker._reset()
    assert kept.get(tracker) is None
    del tracker
    gc.collect()
    assert not kept.entries


def test_rule_keys_past_the_longest_rule_are_rasas(policies_and_trackers: Any) -> None:
    processor, prefixes = policies_and_trackers
    from rasa.core.policies.rule_policy import RulePolicy

    policy = next(node._component for node in processor.graph_runner._instantiated_nodes.values()
                  if isinstance(node._component, RulePolicy))
    for tracker in prefixes:
        states = policy._prediction_states(tracker, processor.domain)
        for lookup in ("rules", "rules_for_loop_unhappy_path"):
            expected = rasa_patches.rasa_get_possible_keys(policy, policy.lookup[lookup], states)
            assert rasa_patches.get_possible_keys(policy, policy.lookup[lookup], states) == expected


def test_domain_emptiness_is_rasas() -> None:
    from rasa.shared.core.domain import Domain

    for domain in (Domain.empty(), Domain.load(str(ROOT / "domain.yml")), Domain.from_dict({"intents": ["greet"]})):
        assert rasa_patches.domain_is_empty(domain) == rasa_patches.rasa_domain_is_empty(domain)


def test_kept_session_has_rasas_settings_and_writes_the_same_json(policies_and_trackers: Any) -> None:
    """The kept session's headers, auth and time-out are those of Rasa's session; the bodies ujson
    writes for the action server (every prefix tracker, and Chinese, emoji, floats) read back as
    what the json module writes."""
    import asyncio
    import json

    import ujson
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import UserUttered
    from rasa.utils.endpoints import EndpointConfig

    async def settings() -> None:
        endpoint = EndpointConfig("http://127.0.0.1:1/webhook", headers={"X-Key": "k"},
                                  basic_auth={"username": "u", "password": "p"})
        for endpoint in (endpoint, EndpointConfig("http://127.0.0.1:1/webhook")):
            ours, rasas = rasa_patches.new_session(endpoint), rasa_patches.rasa_endpoint_session(endpoint)
            assert (ours.headers, ours.auth, ours.timeout) == (rasas.headers, rasas.auth, rasas.timeout)
            await ours.close()
            await rasas.close()

    asyncio.run(settings())
    processor, prefixes = policies_and_trackers
    said = prefixes[-1].copy()
    said.update(UserUttered("订单8123456789012345一直没到 😂 \ud83d /n", {"name": "ask", "confidence": 0.1 + 0.2},
                            parse_data={"text": "x", "intent_ranking": [{"name": "ask", "confidence": 1e-17}]}))
    for tracker in [*prefixes, said]:
        body = RemoteAction("action_answer", None)._action_call_format(tracker, processor.domain)
        assert json.loads(ujson.dumps(body)) == json.loads(json.dumps(body))


def test_endpoint_requests_share_one_connection_until_the_server_stops() -> None:
    """Two action calls through `EndpointConfig.request` get Rasa's answers over one kept TCP
    connection; the server's shutdown closes the session."""
    import asyncio

    from types import SimpleNamespace

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    async def scenario() -> None:
        peers = []

        async def webhook(request: web.Request) -> web.Response:
            peers.append(request.transport.get_extra_info("peername"))
            return web.json_response({"events": [], "responses": [{"text": (await request.json())["next_action"]}]})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            answers = [await endpoint.request(json={"next_action": name}) for name in ("a", "b")]
            assert answers == [{"events": [], "responses": [{"text": "a"}]}, {"events": [], "responses": [{"text": "b"}]}]
            assert len(peers) == 2 and peers[0] == peers[1]
            session = endpoint.session().session
            await rasa_patches.close_resources(SimpleNamespace(ctx=SimpleNamespace()), asyncio.get_running_loop())
            assert session.closed and not rasa_patches.KEPT_SESSIONS
        finally:
            await runner.cleanup()

    asyncio.run(scenario())


def test_policies_predict_as_rasas_on_the_benchmark_messages(processor: Any) -> None:
    """The policy patches (kept replay, shortened rule filter) predict what Rasa's own functions do."""
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain

    patched = benchmark_conversation(processor)
    try:
        Domain.states_for_tracker_history = rasa_patches.rasa_states_for_tracker_history
        RulePolicy._get_possible_keys = rasa_patches.rasa_get_possible_keys
        assert benchmark_conversation(processor) == patched
    finally:
        rasa_patches.install()


def test_slot_copies_are_what_copy_makes_of_them() -> None:
    """Each of Rasa's slot types, set and unset, copied by the patch and by `copy`'s own
    `__reduce_ex__` path: same class and attributes, and a value set on the copy stays there."""
    import copy

    from rasa.shared.core.slots import AnySlot, BooleanSlot, CategoricalSlot, FloatSlot, ListSlot, TextSlot

    mappings = [{"type": "custom"}]
    slots = [TextSlot("role", mappings), BooleanSlot("b", mappings, initial_value=True), FloatSlot("f", mappings, max_value=2.0),
             ListSlot("l", mappings), AnySlot("a", mappings), CategoricalSlot("c", mappings, values=["x", "y"])]
    slots[0].value = "buyer"
    slots[3].value = ["1", "2"]
    for slot in slots:
        ours = rasa_patches.copy_slot(slot)
        reduced = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))
        assert type(ours) is type(reduced) is type(slot) and vars(ours) == vars(reduced) == vars(slot)
        ours.value = None
        assert vars(ours) != vars(slot) and copy.copy(slot) is not slot


def test_the_modules_without_debug_copies_use_copy_only_for_debug_log_arguments() -> None:
    """Every use of `copy` in the modules given `DebugArgumentCopies` is a `copy.deepcopy(...)`
    inside a `structlogger.debug(...)` call (so with debug calls as no-ops nothing else changes)."""
    import ast
    import inspect

    for module in rasa_patches.DEBUG_COPY_MODULES:
        tree = ast.parse(inspect.getsource(module))
        inside_debug = set()
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "debug"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "structlogger"):
                inside_debug.update(id(inner) for inner in ast.walk(node))
        uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "copy"]
        attributes = {id(node.value): node for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "copy"}
        assert uses, module.__name__
        for use in uses:
            attribute = attributes.get(id(use))
            assert attribute is not None and attribute.attr == "deepcopy" and id(attribute) in inside_debug, (
                f"{module.__name__}:{use.lineno} uses copy outside a debug log argument")
        assert isinstance(module.copy, rasa_patches.DebugArgumentCopies)


def test_debug_argument_copies_copy_when_debug_calls_log() -> None:
    """Rasa's structlog set-up below DEBUG: the argument itself; at DEBUG (and before any set-up,
    when structlog logs everything): a deep copy, as Rasa's."""
    import logging

    import structlog
    from rasa.utils.log_utils import configure_structlog

    value = [{"states": [{"user": {"intent": "greet"}}]}]
    shim = rasa_patches.DebugArgumentCopies()
    before = structlog.get_config()
    try:
        configure_structlog(logging.INFO)
        assert shim.deepcopy(value) is value
        configure_structlog(logging.DEBUG)
        copied = shim.deepcopy(value)
        assert copied == value and copied is not value and copied[0] is not value[0]
        structlog.reset_defaults()
        assert shim.deepcopy(value) is not value
        assert shim.copy is __import__("copy").copy  # the rest of the module as it is
    finally:
        structlog.configure(**before)


def test_the_loaded_agent_is_frozen_out_of_the_garbage_collector() -> None:
    """The server's start-up listener loads the agent as Rasa's does, then freezes what is loaded."""
    import asyncio
    import gc

    calls = []

    async def loaded(*args: Any, **kwargs: Any) -> str:
        calls.append((args, kwargs))
        return "agent"

    kept = rasa_patches.rasa_load_agent_on_start
    rasa_patches.rasa_load_agent_on_start = loaded
    try:
        assert asyncio.run(rasa_patches.load_agent_on_start("model", None, None, app="app", loop="loop")) == "agent"
        assert calls == [(("model", None, None), {"app": "app", "loop": "loop"})]
        assert gc.get_freeze_count() > 0
    finally:
        rasa_patches.rasa_load_agent_on_start = kept
        gc.unfreeze()

    import rasa.core.run

    assert rasa.core.run.load_agent_on_start is rasa_patches.load_agent_on_start


@pytest.mark.parametrize("body", [b"", b"{}", "{\"text\": \"订单\"}".encode() * 3000])
def test_request_headers_go_with_the_body_in_the_same_bytes(body: bytes) -> None:
    """A request through the patched writer puts on the wire exactly the bytes aiohttp's own
    writer does, the headers in the body's first write (one write for a small request)."""
    import asyncio

    import aiohttp

    async def wire(writer_class: Any) -> Tuple[bytes, int]:
        received, writes = bytearray(), []
        done = asyncio.Event()

        async def client_connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while b"\r\n\r\n" not in received or len(received) < received.index(b"\r\n\r\n") + 4 + len(body):
                chunk = await reader.read(1 << 20)
                if not chunk:
                    break
                received.extend(chunk)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
            await writer.drain()
            writer.close()
            done.set()

        server = await asyncio.start_server(client_connected, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        base = rasa_patches.rasa_stream_writer
        original_write = base._write

        def counted(self: Any, chunk: bytes) -> None:
            writes.append(len(chunk))
            original_write(self, chunk)

        base._write = counted  # the socket writes of either writer
        aiohttp.client_reqrep.StreamWriter = writer_class
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(f"http://127.0.0.1:{port}/webhook", data=body,
                                        headers={"Content-Type": "application/json"}) as response:
                    assert await response.json() == {}
            await done.wait()
        finally:
            base._write = original_write
            aiohttp.client_reqrep.StreamWriter = rasa_patches.HeadersWithBodyWriter
            server.close()
        return bytes(received).replace(str(port).encode(), b"PORT"), len(writes)  # Host names the port

    stock, stock_writes = asyncio.run(wire(rasa_patches.rasa_stream_writer))
    ours, our_writes = asyncio.run(wire(rasa_patches.HeadersWithBodyWriter))
    assert ours == stock and ours.endswith(body)
    assert (stock_writes, our_writes) == ((2 if body else 1), 1)


def test_each_runner_builds_its_graph_once_and_runs_leave_no_inputs_in_it(processor: Any) -> None:
    """After parses and predictions, the kept dask graph of each set of targets is Rasa's
    (`_build_dask_graph` of the minimal schema), kept as the same object, with no run's inputs in it."""
    runner = processor.graph_runner
    benchmark_conversation(processor)
    kept = runner.__dict__["_built_graphs"]
    assert len(kept) >= 2  # the NLU's targets and the policies'
    for targets, graph in kept.items():
        assert rasa_patches.built_graph(runner, targets) is graph
        assert graph == runner._build_dask_graph(runner._graph_schema.minimal_graph_schema(list(targets)))
        assert all(callable(task[0]) for task in graph.values())  # nodes only, no (name, value) inputs
