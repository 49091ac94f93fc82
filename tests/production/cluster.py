"""Several Rasa servers on endpoints.prod.yml and helpers to talk to them and read trackers."""
from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests
import socketio
import yaml

from channels.guard import default_settings
from tests.production.infra import Postgres, Redis, prod_env
from tests.support.servers import ROOT, ServerHandle, start_action_server, start_rasa_server

PROD_ENDPOINTS = ROOT / "endpoints.prod.yml"
CREDENTIALS = ROOT / "credentials.yml"
STATIC_ANSWER = default_settings().text("service_unavailable")

# A valid value for every slot the support request form may ask for (contract names).
FORM_VALUES: Dict[str, str] = {
    "order_id": "8123456789012345",
    "issue_category": "物流问题",
    "request_goal": "查询物流",
    "expected_time": "PT24H",
    "role": "buyer",
    "device": "app",
}
FORM_NAME = "support_request_form"
ALLOWED_ORIGIN = "https://help.example.com"  # the one CORS origin of the `edge` server
RATE_CAPACITY = 8  # GUARD_RATE_CAPACITY of the `edge` server


def say(url: str, sender: str, text: str, timeout: float = 90) -> List[Dict[str, Any]]:
    """Send one message over the REST channel; the HTTP status must be 200."""
    response = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout
    )
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response.json()


def texts(replies: List[Dict[str, Any]]) -> str:
    """All reply texts joined."""
    return "\n".join(str(reply.get("text", "")) for reply in replies)


def inform(slot: str) -> str:
    """A message that fills ``slot`` with its valid value, independent of the NLU model."""
    return "/inform" + json.dumps({slot: FORM_VALUES[slot]}, ensure_ascii=False)


@dataclass
class Cluster:
    """An action server and Rasa servers sharing PostgreSQL and Redis."""

    actions: ServerHandle
    servers: List[ServerHandle]
    token: str
    env: Dict[str, str]
    model: Path
    extra: List[ServerHandle] = field(default_factory=list)

    def start_server(self, env: Optional[Dict[str, str]] = None) -> ServerHandle:
        """Another Rasa server with the production endpoints and channels."""
        return start_rasa_server(
            self.model, PROD_ENDPOINTS, CREDENTIALS, env={**self.env, **(env or {})}, auth_token=self.token
        )

    def tracker(self, url: str, sender: str) -> Dict[str, Any]:
        """The stored tracker of ``sender`` as seen by the server at ``url``."""
        response = requests.get(
            f"{url}/conversations/{sender}/tracker", params={"token": self.token}, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for handle in [*self.servers, *self.extra, self.actions]:
            handle.stop()


@contextmanager
def running_cluster(
    model: Path,
    postgres: Postgres,
    redis: Redis,
    tracker_db: str,
    requests_db: str,
    extra_env: Optional[Dict[str, str]] = None,
) -> Iterator[Cluster]:
    """One action server and two Rasa servers on endpoints.prod.yml (PostgreSQL + Redis)."""
    postgres.create_database(tracker_db)
    postgres.create_database(requests_db)
    env = prod_env(postgres, redis, "", tracker_db, requests_db)
    actions = start_action_server(env={"REQUEST_STORE_URL": env["REQUEST_STORE_URL"]})
    env["ACTION_ENDPOINT_URL"] = f"{actions.url}/webhook"
    env.update(extra_env or {})
    cluster = Cluster(actions=actions, servers=[], token=secrets.token_hex(16), env=env, model=model)
    try:
        for _ in range(2):
            cluster.servers.append(cluster.start_server())
        yield cluster
    finally:
        cluster.stop()


def active_form(tracker: Dict[str, Any]) -> Optional[str]:
    """Name of the active loop, if any."""
    return (tracker.get("active_loop") or {}).get("name")


def user_texts(tracker: Dict[str, Any]) -> List[str]:
    """The user messages stored in the tracker, in order."""
    return [event.get("text") for event in tracker["events"] if event.get("event") == "user"]


@dataclass
class Edge:
    """The public face: a Rasa server with credentials.yml's channels, token and CORS."""

    rasa: ServerHandle
    actions: ServerHandle
    token: str
    tracker_db: Path

    @property
    def url(self) -> str:
        return self.rasa.url


class SocketUser:
    """A socket.io client of the widget's protocol (session_persistence: true)."""

    def __init__(self, edge: Edge) -> None:
        credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
        settings = credentials.get("channels.guarded.GuardedSocketIOInput") or {}
        self.user_evt = settings.get("user_message_evt", "user_uttered")
        self.metadata_key = settings.get("metadata_key", "metadata")
        self.session_id = uuid.uuid4().hex
        self.replies: List[Dict[str, Any]] = []
        self.arrived = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on(settings.get("bot_message_evt", "bot_uttered"), self._on_bot)
        confirmed = threading.Event()
        self.client.on("session_confirm", lambda *_: confirmed.set())
        self.client.connect(edge.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
        self.client.emit("session_request", {"session_id": self.session_id})
        assert confirmed.wait(20)

    def _on_bot(self, data: Any) -> None:
        self.replies.append(data)
        self.arrived.set()

    def send(self, data: Any, wait: float = 30) -> Optional[str]:
        """Emit ``data`` and return the first reply text (None if nothing came).

        An answer can be several bubbles: the turn ends when no bubble came for a second, so a
        late bubble of this turn is never taken for the reply to the next message."""
        self.replies.clear()
        self.arrived.clear()
        self.client.emit(self.user_evt, data)
        if not self.arrived.wait(wait):
            return None
        first = str(self.replies[0].get("text", ""))
        seen = 0
        while len(self.replies) != seen:
            seen = len(self.replies)
            time.sleep(1.0)
        return first

    def message(self, text: Any, **extra: Any) -> Dict[str, Any]:
        return {"message": text, "session_id": self.session_id, **extra}
