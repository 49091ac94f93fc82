"""The product's stores on SQLite: WAL journal for the tracker, a lock store shared by processes."""
from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.lock_store import LockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from stores.local import local_endpoints
from stores.lock import SQLiteLockStore
from stores.tracker import ResilientSQLTrackerStore

DOMAIN = Domain.from_yaml("slots:\n  role:\n    type: text\n    mappings: [{type: custom}]\n")


def test_sqlite_tracker_store_uses_wal_and_keeps_what_was_said(tmp_path: Path) -> None:
    store = ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    tracker = DialogueStateTracker.from_events("u1", [UserUttered("订单8123456789012345一直没到"), SlotSet("role", "buyer")])
    asyncio.run(store.save(tracker))
    # A second store on the same file (another Rasa process) reads the conversation back exactly.
    other = ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    again = asyncio.run(other.retrieve("u1"))
    assert again.latest_message.text == "订单8123456789012345一直没到"
    assert again.get_slot("role") == "buyer"


def test_sqlite_lock_store_is_shared_between_processes(tmp_path: Path) -> None:
    config = EndpointConfig(type="stores.lock.SQLiteLockStore", db=str(tmp_path / "locks.db"))
    first, second = LockStore.create(config), LockStore.create(config)
    assert isinstance(first, SQLiteLockStore)
    serving = first.issue_ticket("u1")
    waiting = second.issue_ticket("u1")  # the same conversation's next message, in another process
    assert waiting == serving + 1
    assert second.get_lock("u1").is_locked(waiting)
    first.finish_serving("u1", serving)
    assert not second.get_lock("u1").is_locked(waiting)
    second.cleanup("u1", waiting)  # nobody waits any more: the lock is gone for every process
    assert first.get_lock("u1") is None


def test_several_rasa_processes_get_the_shared_lock_store(tmp_path: Path) -> None:
    assert "lock_store" not in local_endpoints(tmp_path, 5055, 1)
    shared = local_endpoints(tmp_path, 6000, 2)
    assert shared["lock_store"] == {"type": "stores.lock.SQLiteLockStore", "db": str(tmp_path / "locks.db")}
    assert shared["tracker_store"]["db"] == str(tmp_path / "tracker.db")
    assert shared["action_endpoint"]["url"] == "http://127.0.0.1:6000/webhook"
