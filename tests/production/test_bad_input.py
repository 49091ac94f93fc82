"""Hostile input on every public endpoint of the running server (credentials.yml's channels).

Every bad request gets a clear 4xx or a polite reply, never a 5xx or a crash, and the next
normal message still works.
"""
from __future__ import annotations

import json
import uuid
from typing import List

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st

from channels.guard import default_settings
from tests.production.cluster import STATIC_ANSWER, Edge, SocketUser, texts
from tests.support.servers import ROOT

SETTINGS = default_settings()
NESTED = '{"sender":"deep","message":"hi","metadata":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}"
HOSTILE_TEXTS = [
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "\u0000\u0001退款\u001b[31m\u007f\u202e",
    "'; DROP TABLE events; --",
    "{{7*7}} ${jndi:ldap://x} %s%s%n",
    "\ud83d",  # lone surrogate as JSON escape
]


def _rest(edge: Edge, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{edge.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": content_type}, timeout=60
    )


def _assert_handled(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code == 200:
        assert isinstance(response.json(), list)
    else:
        assert 400 <= response.status_code < 500
        body = response.json()
        assert body["error"] and body["message"]


def _normal_message_works(edge: Edge) -> None:
    response = requests.post(
        f"{edge.url}/webhooks/rest/webhook",
        json={"sender": f"ok-{uuid.uuid4().hex[:6]}", "message": "你好"},
        timeout=60,
    )
    assert response.status_code == 200
    assert texts(response.json()) and STATIC_ANSWER not in texts(response.json())


BAD_REST_BODIES = {
    "empty": b"",
    "array": b"[1, 2]",
    "string": b'"hello"',
    "number": b"42",
    "null": b"null",
    "malformed": b'{"sender": "x", "message": ',
    "missing_sender": json.dumps({"message": "你好"}).encode(),
    "null_sender": json.dumps({"sender": None, "message": "你好"}).encode(),
    "missing_message": json.dumps({"sender": "x"}).encode(),
    "null_message": json.dumps({"sender": "x", "message": None}).encode(),
    "number_message": json.dumps({"sender": "x", "message": 12345}).encode(),
    "object_message": json.dumps({"sender": "x", "message": {"text": "hi"}}).encode(),
    "list_metadata": json.dumps({"sender": "x", "message": "hi", "metadata": [1]}).encode(),
    "long_ascii": json.dumps({"sender": "x", "message": "a" * 40001}).encode(),
    "long_chinese": json.dumps({"sender": "x", "message": "退" * 40001}, ensure_ascii=False).encode(),
    "long_under_body_limit": json.dumps({"sender": "x", "message": "b" * (SETTINGS.max_text_chars + 1)}).encode(),
    "invalid_utf8": b'{"sender": "x", "message": "\xff\xfe\xc3\x28"}',
    "deeply_nested": NESTED.encode(),
    "long_sender": json.dumps({"sender": "s" * 1000, "message": "hi"}).encode(),
}


@pytest.mark.parametrize("case", sorted(BAD_REST_BODIES))
def test_rest_rejects_bad_bodies_with_4xx(edge: Edge, case: str) -> None:
    response = _rest(edge, BAD_REST_BODIES[case])
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text[:300])
    assert response.json()["message"]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_rest_answers_hostile_text_politely(edge: Edge, text: str) -> None:
    body = json.dumps({"sender": f"hostile-{uuid.uuid4().hex[:6]}", "message": text}).encode()
    response = _rest(edge, body, content_type="text/plain")
    _assert_handled(response)


def test_rest_still_works_after_bad_input(edge: Edge) -> None:
    for body in BAD_REST_BODIES.values():
        _rest(edge, body)
    assert requests.get(edge.url, timeout=10).status_code == 200
    _normal_message_works(edge)


def _platform_channels() -> List[str]:
    """Messaging-app channels listed in credentials.yml (their URL prefix = channel name)."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    names = []
    for key in credentials:
        if "." in key and not key.startswith("channels.guarded") and not key.endswith("WebPageInput"):
            module, cls = key.rsplit(".", 1)
            names.append(getattr(__import__(module, fromlist=[cls]), cls).name())
    return names


PLATFORM_BODIES = [
    b"",
    b"[]",
    b"null",
    b"{not json",
    b"\xff\xfe\xfd",
    NESTED.encode(),
    b"<xml><Encrypt><![CDATA[<script>alert(1)</script>]]></Encrypt></xml>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>',
    json.dumps({"encrypt": "x" * 50000}).encode(),
    json.dumps({"type": "url_verification", "challenge": None, "token": 5}).encode(),
]


@pytest.mark.parametrize("channel", _platform_channels())
def test_messaging_connectors_never_answer_5xx(edge: Edge, channel: str) -> None:
    url = f"{edge.url}/webhooks/{channel}/webhook"
    for body in PLATFORM_BODIES:
        for content_type in ("application/json", "text/xml"):
            response = requests.post(
                url, data=body, headers={"Content-Type": content_type},
                params={"msg_signature": "x", "signature": "x", "timestamp": "1", "nonce": "1"}, timeout=30,
            )
            assert response.status_code < 500, (channel, body[:60], response.status_code)
    response = requests.get(url, params={"echostr": "<script>", "signature": "\x00"}, timeout=30)
    assert response.status_code < 500
    _normal_message_works(edge)


def test_socketio_answers_bad_input_politely(edge: Edge) -> None:
    user = SocketUser(edge)
    try:
        polite = {SETTINGS.text("bad_request"), SETTINGS.text("empty"), SETTINGS.text("too_long")}
        for data in [
            None, "just a string", [1, 2], 42,
            {"message": "hi"},  # no session_id
            user.message(None), user.message(42), user.message(["x"]), user.message("   "),
            user.message("a" * 40001), user.message("hi", **{user.metadata_key: "{not json"}),
            user.message("hi", **{user.metadata_key: json.loads('{"a":' * 40 + "1" + "}" * 40)}),
        ]:
            assert user.send(data) in polite, data
        for text in HOSTILE_TEXTS:
            assert user.send(user.message(text)), text
        reply = user.send(user.message("你好"))
        assert reply and reply not in polite | {STATIC_ANSWER, SETTINGS.text("rate_limited")}
    finally:
        user.client.disconnect()


@hyp_settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=120), st.sampled_from(HOSTILE_TEXTS)))
def test_property_live_server_never_fails(edge: Edge, text: str) -> None:
    """A bounded number of examples against the live server: never a 5xx."""
    body = json.dumps({"sender": f"prop-{uuid.uuid4().hex[:8]}", "message": text}).encode()
    response = _rest(edge, body)
    assert response.status_code in (200, 400, 413), (text, response.status_code, response.text[:200])
