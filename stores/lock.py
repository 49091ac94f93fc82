"""A lock store for several Rasa processes on one machine, in a SQLite file next to the tracker.

Rasa serializes the messages of one conversation with a ticket lock. Its in-memory lock store
only works inside one process, and its Redis lock store needs a Redis server; the processes
that `scripts/run.sh` starts behind one port (RASA_WORKERS) share this file instead. The lock
logic is Rasa's (`LockStore`); only where a lock is kept differs, like `RedisLockStore`.
Production uses Redis (endpoints.prod.yml).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from typing import Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig


class SQLiteLockStore(LockStore):
    """Ticket locks as JSON rows of a SQLite table (`db` from the endpoint configuration)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        self._connection = sqlite3.connect(
            endpoint_config.kwargs["db"], timeout=5, isolation_level=None, check_same_thread=False
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        # A lock lives as long as one message: its save and delete need not wait for a disk sync.
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, lock TEXT)")
        self._guard = threading.Lock()
        super().__init__()

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        with self._guard:
            row = self._connection.execute(
                "SELECT lock FROM locks WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def delete_lock(self, conversation_id: Text) -> None:
        with self._guard:
            deleted = self._connection.execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,))
        self._log_deletion(conversation_id, deleted.rowcount > 0)

    def save_lock(self, lock: TicketLock) -> None:
        with self._guard:
            self._connection.execute(
                "INSERT OR REPLACE INTO locks (conversation_id, lock) VALUES (?, ?)",
                (lock.conversation_id, lock.dumps()),
            )
