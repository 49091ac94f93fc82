"""Security of the running server: token on the HTTP API, CORS, rate limit, masking, secrets."""
from __future__ import annotations

import re
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest
import requests
import yaml

from channels.guard import default_settings
from tests.production.cluster import ALLOWED_ORIGIN, RATE_CAPACITY, STATIC_ANSWER, Edge, SocketUser, texts
from tests.support.servers import ROOT

PHONE, EMAIL, ID_CARD = "13912345678", "li.lei@example.com", "11010519491231002X"
PII_MESSAGE = f"我的手机号是{PHONE}，邮箱{EMAIL}，身份证{ID_CARD}，订单8123456789012345没收到"


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/model/parse", {"text": "你好"}),
        ("GET", "/conversations/someone/tracker", None),
        ("POST", "/conversations/someone/messages", {"text": "hi", "sender": "user"}),
        ("GET", "/status", None),
    ],
)
def test_http_api_requires_the_token(edge: Edge, method: str, path: str, body: object) -> None:
    url = edge.url + path
    assert requests.request(method, url, json=body, timeout=30).status_code in (401, 403)
    wrong = requests.request(method, url, json=body, params={"token": "wrong"}, timeout=30)
    assert wrong.status_code in (401, 403)
    right = requests.request(method, url, json=body, params={"token": edge.token}, timeout=60)
    assert right.status_code == 200, right.text[:300]


def test_cors_only_for_configured_origins(edge: Edge) -> None:
    url = f"{edge.url}/webhooks/rest/webhook"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    evil = requests.options(url, headers={"Origin": "https://evil.example", **preflight}, timeout=30)
    assert "Access-Control-Allow-Origin" not in evil.headers
    evil_get = requests.get(edge.url + "/", headers={"Origin": "https://evil.example"}, timeout=30)
    assert "Access-Control-Allow-Origin" not in evil_get.headers
    good = requests.options(url, headers={"Origin": ALLOWED_ORIGIN, **preflight}, timeout=30)
    assert good.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN


def test_flood_from_one_sender_is_limited_and_others_unaffected(edge: Edge) -> None:
    flooder = f"flood-{uuid.uuid4().hex[:6]}"

    def send(sender: str) -> requests.Response:
        return requests.post(
            f"{edge.url}/webhooks/rest/webhook", json={"sender": sender, "message": "你好"}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        flood: List[requests.Response] = list(pool.map(send, [flooder] * (RATE_CAPACITY * 3)))
    codes = [r.status_code for r in flood]
    assert set(codes) <= {200, 429}, codes
    assert codes.count(200) <= RATE_CAPACITY + 1 and codes.count(429) >= RATE_CAPACITY
    limited = next(r for r in flood if r.status_code == 429)
    assert limited.json()["message"] == default_settings().text("rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1

    other = send(f"calm-{uuid.uuid4().hex[:6]}")
    assert other.status_code == 200 and texts(other.json())
    assert STATIC_ANSWER not in texts(other.json())


def _stored_events(edge: Edge, sender: str) -> str:
    """The JSON of every event stored for ``sender`` in the SQLite tracker store."""
    with sqlite3.connect(edge.tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    return "\n".join(row[0] for row in rows)


def _stored_events_all(edge: Edge) -> str:
    with sqlite3.connect(edge.tracker_db) as db:
        return "\n".join(row[0] for row in db.execute("SELECT data FROM events"))


def test_pii_is_masked_before_it_is_stored_or_logged(edge: Edge) -> None:
    sender = f"pii-{uuid.uuid4().hex[:6]}"
    response = requests.post(
        f"{edge.url}/webhooks/rest/webhook", json={"sender": sender, "message": PII_MESSAGE}, timeout=60
    )
    assert response.status_code == 200
    stored = _stored_events(edge, sender)
    everything = _stored_events_all(edge)
    assert '"event": "user"' in stored and "139****5678" in stored and "l***@example.com" in stored
    assert "1101**********002X" in stored and "8123456789012345" in stored
    for secret in (PHONE, EMAIL, ID_CARD):
        assert secret not in everything
        assert secret not in edge.rasa.log() and secret not in edge.actions.log()


def test_pii_sent_over_socketio_is_masked_too(edge: Edge) -> None:
    user = SocketUser(edge)
    try:
        assert user.send(user.message(PII_MESSAGE))
    finally:
        user.client.disconnect()
    stored = _stored_events(edge, user.session_id)
    assert "139****5678" in stored and "1101**********002X" in stored
    assert PHONE not in stored and EMAIL not in stored and ID_CARD not in stored


# --------------------------------------------------------------------------- secrets

ENV_VALUE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*\}$")


def test_production_endpoints_take_every_setting_from_the_environment() -> None:
    config = yaml.safe_load((ROOT / "endpoints.prod.yml").read_text(encoding="utf-8"))
    for section in ("action_endpoint", "tracker_store", "lock_store"):
        for key, value in config[section].items():
            if key in ("type", "dialect", "key_prefix"):
                continue
            assert ENV_VALUE.match(str(value)), f"{section}.{key} must come from ${{VAR}}, not {value!r}"
    assert config["tracker_store"]["dialect"] == "postgresql"
    assert config["tracker_store"]["type"] == "stores.tracker.ResilientSQLTrackerStore"
    assert config["lock_store"]["type"] == "redis"


def test_no_secrets_in_credentials_file() -> None:
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    secret_words = ("secret", "token", "password", "key")
    for channel, settings in credentials.items():
        for key, value in (settings or {}).items():
            if any(word in key.lower() for word in secret_words) and key != "metadata_key":
                assert value in (None, "") or ENV_VALUE.match(str(value)), (channel, key)


def _shell_commands(path: Path) -> List[str]:
    """The script's lines with backslash continuations joined."""
    return path.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()


def test_every_api_run_mode_sets_a_token() -> None:
    """Every script and the container entry point start the HTTP API only with --auth-token."""
    scripts = [*sorted((ROOT / "scripts").glob("*.sh")), ROOT / "deploy" / "entrypoint.sh"]
    api_starts = [
        line for path in scripts for line in _shell_commands(path) if "--enable-api" in line
    ]
    assert len(api_starts) >= 2
    for line in api_starts:
        assert re.search(r"--auth-token \S+", line), line
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        if service.get("command") == ["rasa"]:
            assert service["environment"]["RASA_AUTH_TOKEN"].startswith("${RASA_AUTH_TOKEN:?"), name
