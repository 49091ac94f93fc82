"""Faults: the action server down or slow, a database restart, a handoff webhook that is down.

The user always gets an answer within a bounded time: the assistant's own, or the static one
that names the human channels and service@aliexpress.com.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import requests

from actions import handoff
from actions.request_store import RequestStore, SupportRequest
from tests.production.cluster import (
    FORM_NAME,
    FORM_VALUES,
    STATIC_ANSWER,
    Cluster,
    active_form,
    inform,
    texts,
    user_texts,
)
from tests.production.infra import Postgres
from tests.support.servers import free_port, start_action_server, start_rasa_server, write_endpoints

REPLY_TIMEOUT = 6.0  # GUARD_REPLY_TIMEOUT of the Rasa server under test
BOUND = REPLY_TIMEOUT + 6.0  # the user must have an answer within this many seconds
START = "/start_support_request"


class _Stub(BaseHTTPRequestHandler):
    """Action server stand-in that is alive but answers only after ``delay`` seconds,
    or a handoff webhook that records what it receives."""

    delay = 0.0
    received: List[Any] = []

    def do_GET(self) -> None:  # noqa: N802
        self._reply({"status": "ok"})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
        type(self).received.append(body)
        time.sleep(self.delay)
        self._reply({"events": [], "responses": []})

    def _reply(self, body: Any) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: Any) -> None:
        pass


def _serve(port: int, delay: float) -> Tuple[ThreadingHTTPServer, type]:
    handler = type("Handler", (_Stub,), {"delay": delay, "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


def _timed_say(url: str, sender: str, text: str) -> Tuple[float, str]:
    started = time.monotonic()
    response = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=BOUND + 30
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text[:300]
    return elapsed, texts(response.json())


@pytest.fixture(scope="module")
def fault_server(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, int]]:
    """A Rasa server whose action endpoint is a port the tests control (empty at first)."""
    directory = tmp_path_factory.mktemp("faults")
    action_port = free_port()
    endpoints = write_endpoints(directory, f"http://127.0.0.1:{action_port}", directory / "tracker.db")
    rasa = start_rasa_server(trained_model, endpoints, env={"GUARD_REPLY_TIMEOUT": str(REPLY_TIMEOUT)})
    yield rasa.url, action_port
    rasa.stop()


def _assert_static_within_bound(url: str, text: str = START) -> None:
    elapsed, reply = _timed_say(url, f"fault-{uuid.uuid4().hex[:8]}", text)
    assert STATIC_ANSWER in reply, reply
    assert "service@aliexpress.com" in reply
    assert elapsed < BOUND, elapsed


def test_action_server_never_started(fault_server: Tuple[str, int]) -> None:
    url, _ = fault_server
    _assert_static_within_bound(url)


def test_action_server_killed(fault_server: Tuple[str, int], tmp_path: Path) -> None:
    url, action_port = fault_server
    actions = start_action_server(env={"REQUEST_STORE_URL": f"sqlite:///{tmp_path / 'requests.db'}"}, port=action_port)
    try:
        sender = f"alive-{uuid.uuid4().hex[:8]}"
        _, reply = _timed_say(url, sender, START)
        assert reply and STATIC_ANSWER not in reply
    finally:
        actions.kill()
    _assert_static_within_bound(url)


def test_action_server_slow(fault_server: Tuple[str, int]) -> None:
    url, action_port = fault_server
    server, handler = _serve(action_port, delay=60)
    try:
        _assert_static_within_bound(url)
        assert handler.received, "the slow action server was really called"
    finally:
        server.shutdown()
        server.server_close()


def test_database_restart_is_recovered(prod_cluster: Cluster, postgres: Postgres) -> None:
    url = prod_cluster.servers[1].url
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    _, reply = _timed_say(url, sender, START)
    assert reply and STATIC_ANSWER not in reply
    slot = prod_cluster.tracker(url, sender)["slots"]["requested_slot"]

    postgres.stop()
    try:
        elapsed, reply = _timed_say(url, sender, inform(slot))
        assert STATIC_ANSWER in reply and elapsed < BOUND
    finally:
        postgres.start()

    # Stale pooled connections are replaced at once: the first message after the restart works,
    # on the server that saw the outage and on the one that did not.
    _, reply = _timed_say(url, sender, inform(slot))
    assert reply and STATIC_ANSWER not in reply
    _, other = _timed_say(prod_cluster.servers[0].url, f"pg-other-{uuid.uuid4().hex[:6]}", START)
    assert other and STATIC_ANSWER not in other
    tracker = prod_cluster.tracker(url, sender)
    assert user_texts(tracker)[0] == START
    assert tracker["slots"][slot] == FORM_VALUES[slot]
    assert active_form(tracker) == FORM_NAME and tracker["slots"]["requested_slot"] != slot


def test_handoff_webhook_down_never_loses_a_request(postgres: Postgres) -> None:
    postgres.create_database("handoff")
    store = RequestStore(postgres.url("handoff"))
    request = store.save(
        SupportRequest(
            sender_id="handoff-user", order_id="8123456789012345", issue_category="物流问题",
            request_goal="查询物流", expected_time="PT24H", summary="物流十天未更新",
            created_at="2026-11-26T10:00:00+08:00",
        )
    )
    port = free_port()
    config = handoff.HandoffConfig(url=f"http://127.0.0.1:{port}/handoff", timeout=2, attempts=2, backoff=0.1)

    assert handoff.deliver_pending(store, config) == (0, 1)
    pending = store.list_undelivered()
    assert [r.reference for r in pending] == [request.reference]
    assert pending[0].last_error and pending[0].delivery_attempts == 1

    server, handler = _serve(port, delay=0)
    try:
        assert handoff.deliver_pending(store, config) == (1, 0)
    finally:
        server.shutdown()
        server.server_close()
    assert [body["reference"] for body in handler.received] == [request.reference]
    assert store.list_undelivered() == []
    assert store.get(request.reference).delivered
    store.engine.dispose()
