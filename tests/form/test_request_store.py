"""The request store on SQLite: save / get / list_undelivered / mark_delivered."""
from __future__ import annotations

import re

from actions import request_store
from actions.request_store import RequestStore, SupportRequest, get_store
from tests.support.servers import ROOT


def make_request(order_id: str = "8123456789012345") -> SupportRequest:
    return SupportRequest(
        sender_id="user-1",
        order_id=order_id,
        issue_category="物流问题",
        request_goal="要求退款",
        expected_time="PT48H",
        summary=f"订单#{order_id}，物流问题，要求退款，希望48小时内回复。",
        created_at="2026-11-26T10:00:00+08:00",
        role="buyer",
    )


def test_save_gives_a_reference_and_get_returns_the_request(store_url):
    store = get_store()
    saved = store.save(make_request())
    assert re.fullmatch(r"SR20261126-[0-9A-F]{6}", saved.reference)
    loaded = RequestStore(store_url).get(saved.reference)  # a fresh connection sees it
    assert loaded == SupportRequest(**{**make_request().to_json(), "reference": saved.reference})
    assert loaded.delivered is False and loaded.delivery_attempts == 0


def test_references_are_unique(store_url):
    store = get_store()
    references = {store.save(make_request()).reference for _ in range(20)}
    assert len(references) == 20


def test_unknown_reference_is_none(store_url):
    assert get_store().get("SR20261126-NOPE00") is None


def test_undelivered_until_marked_delivered(store_url):
    store = get_store()
    first, second = store.save(make_request("8123456789012345")), store.save(make_request("ABC123"))
    assert [r.reference for r in store.list_undelivered()] == [first.reference, second.reference]
    store.record_failure(first.reference, "HTTP 503")
    failed = store.get(first.reference)
    assert (failed.delivered, failed.delivery_attempts, failed.last_error) == (False, 1, "HTTP 503")
    store.mark_delivered(first.reference)
    assert [r.reference for r in store.list_undelivered()] == [second.reference]
    done = store.get(first.reference)
    assert (done.delivered, done.delivery_attempts, done.last_error) == (True, 2, None)


def test_get_store_follows_request_store_url(store_url, tmp_path, monkeypatch):
    assert get_store().url == store_url
    other = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("REQUEST_STORE_URL", other)
    try:
        assert get_store().url == other
        assert (tmp_path / "other.db").exists()
    finally:
        request_store._stores.pop(other, None)


def test_default_is_sqlite_in_var(monkeypatch):
    monkeypatch.delenv("REQUEST_STORE_URL", raising=False)
    assert request_store.DEFAULT_URL == "sqlite:///var/requests.db"
    assert request_store._absolute_sqlite_url(request_store.DEFAULT_URL) == f"sqlite:///{ROOT / 'var' / 'requests.db'}"
