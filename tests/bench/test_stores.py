"""The product's stores on SQLite: WAL journal for the tracker, a lock store shared by processes."""
from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Optional

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
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


@pytest.mark.parametrize("seed", range(6))
def test_kept_sessions_read_and_write_what_rasa_does(tmp_path: Path, seed: int) -> None:
    """Two product stores (two Rasa processes on one file) against Rasa's own store on another file,
    given the same saves: every read returns Rasa's tracker and the files hold the same rows, also
    with session starts and timestamps out of order (which Rasa's latest-session query depends on)."""
    rng = random.Random(seed)
    rasa = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    shared = str(tmp_path / "product.db")
    processes = [ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=shared) for _ in range(2)]
    clock = 1000.0
    for _ in range(40):
        sender = rng.choice(["u1", "u2"])
        store = rng.choice(processes)
        expected = asyncio.run(rasa.retrieve(sender))
        tracker = asyncio.run(store.retrieve(sender))
        assert dumped(tracker) == dumped(expected)
        tracker = tracker or DialogueStateTracker(sender, DOMAIN.slots)
        expected = expected or DialogueStateTracker(sender, DOMAIN.slots)
        for _ in range(rng.randint(0, 4)):
            clock += rng.choice([1.0, 0.0, -5.0])
            event = rng.choice([
                UserUttered("订单没到", {"name": "ask", "confidence": 0.9}, timestamp=clock),
                SlotSet("role", rng.choice(["buyer", "seller"]), timestamp=clock),
                ActionExecuted("action_listen", timestamp=clock),
                SessionStarted(timestamp=clock),
            ])
            tracker.update(event)
            expected.update(event)
        asyncio.run(store.save(tracker))
        asyncio.run(rasa.save(expected))
    for sender in ("u1", "u2"):
        expected = dumped(asyncio.run(rasa.retrieve(sender)))
        assert all(dumped(asyncio.run(store.retrieve(sender))) == expected for store in processes)
    assert stored_rows(rasa) == stored_rows(processes[0])


def dumped(tracker: Optional[DialogueStateTracker]) -> Optional[list]:
    return None if tracker is None else [event.as_dict() for event in tracker.events]


def stored_rows(store: SQLTrackerStore) -> list:
    with store.session_scope() as session:
        rows = session.query(SQLTrackerStore.SQLEvent).order_by(SQLTrackerStore.SQLEvent.id).all()
        return [(row.sender_id, row.type_name, row.timestamp, row.intent_name, row.action_name, row.data) for row in rows]
