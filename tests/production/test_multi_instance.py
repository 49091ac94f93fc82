"""Two Rasa servers + one action server on PostgreSQL (tracker, requests) and Redis (lock).

A conversation alternates between the servers, also in the middle of the form, and keeps its
state; a server killed with SIGKILL loses nothing that was answered.
"""
from __future__ import annotations

import uuid
from typing import Dict, List

import sqlalchemy as sa

from tests.production.cluster import (
    FORM_NAME,
    FORM_VALUES,
    STATIC_ANSWER,
    Cluster,
    active_form,
    inform,
    say,
    texts,
    user_texts,
)

START = "/start_support_request"


def _answer_requested_slot(cluster: Cluster, url: str, other: str, sender: str, sent: List[str]) -> Dict:
    """Answer the slot the form asks for on ``url``; check the state on ``other``."""
    before = cluster.tracker(other, sender)
    slot = before["slots"]["requested_slot"]
    message = inform(slot) if slot in FORM_VALUES else "/affirm"
    replies = say(url, sender, message)
    sent.append(message)
    assert replies and STATIC_ANSWER not in texts(replies), replies
    after = cluster.tracker(other, sender)
    if slot in FORM_VALUES:
        assert after["slots"][slot] == FORM_VALUES[slot]
    assert after["slots"].get("requested_slot") != slot or active_form(after) != FORM_NAME
    assert user_texts(after) == sent
    return after


def test_conversation_alternates_between_servers_and_keeps_state(prod_cluster: Cluster) -> None:
    a, b = (server.url for server in prod_cluster.servers[:2])
    sender = f"multi-{uuid.uuid4().hex[:8]}"
    sent = [START]
    replies = say(a, sender, START)
    assert replies and STATIC_ANSWER not in texts(replies)
    tracker = prod_cluster.tracker(b, sender)
    assert active_form(tracker) == FORM_NAME

    servers = [b, a]
    turns = 0
    while active_form(tracker) == FORM_NAME and turns < 10:
        url, other = servers[turns % 2], servers[(turns + 1) % 2]
        tracker = _answer_requested_slot(prod_cluster, url, other, sender, sent)
        turns += 1
    assert turns >= 2, "the form must have been answered on both servers"
    assert active_form(tracker) != FORM_NAME

    confirmation = say(servers[turns % 2], sender, "/affirm")  # the summary is confirmed
    assert confirmation and STATIC_ANSWER not in texts(confirmation)
    engine = sa.create_engine(prod_cluster.env["REQUEST_STORE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT order_id FROM support_requests WHERE sender_id = :s"), {"s": sender}
        ).all()
    engine.dispose()
    assert [row[0] for row in rows] == [FORM_VALUES["order_id"]]


def test_killed_server_loses_nothing_that_was_answered(prod_cluster: Cluster) -> None:
    victim, survivor = prod_cluster.servers[:2]
    sender = f"kill-{uuid.uuid4().hex[:8]}"
    sent = [START]
    assert say(victim.url, sender, START)
    tracker = _answer_requested_slot(prod_cluster, victim.url, victim.url, sender, sent)
    answered = {slot: tracker["slots"][slot] for slot in FORM_VALUES if tracker["slots"].get(slot)}
    assert answered

    victim.kill()

    seen = prod_cluster.tracker(survivor.url, sender)
    assert user_texts(seen) == sent
    assert {slot: seen["slots"][slot] for slot in answered} == answered
    assert active_form(seen) == FORM_NAME
    _answer_requested_slot(prod_cluster, survivor.url, survivor.url, sender, sent)

    replacement = prod_cluster.start_server()
    prod_cluster.servers[0] = replacement
    _answer_requested_slot(prod_cluster, replacement.url, survivor.url, sender, sent)
    assert [e["event"] for e in prod_cluster.tracker(replacement.url, sender)["events"]].count("user") == len(sent)
