"""Rasa's SQL tracker store, made to survive a database restart and to save cheaply on SQLite.

Every Rasa server configuration of the product (endpoints.yml, endpoints.prod.yml, the server
harness in devtools/servers.py) uses this store, so importing it also installs the product's Rasa
patches (rasa_patches): every start path gets them without a special launcher.

PostgreSQL: Rasa 3.6 creates its SQLAlchemy engine without ``pool_pre_ping``: after PostgreSQL
restarts, every pooled connection is dead, and the next message of each server fails (Rasa then
answers from an empty in-memory conversation). With ``pool_pre_ping`` each connection is checked
when it is taken from the pool and replaced if the database went away.

SQLite: one connection per process, kept open (Rasa opens a new one for every read and save
otherwise), and the journal is WAL with ``synchronous=NORMAL``: a save appends to the log instead
of syncing the database file twice per commit, and readers (other Rasa processes sharing the
file) do not block the writer. A committed conversation still survives a crash of the process.
Rasa uses the store from its event loop's thread only, and no session spans an ``await``.

Every message reads its conversation and saves it: Rasa's read builds an ORM query with a
session-start subquery and loads every event row of the session, and its save counts those rows
again to know which events are new. The store keeps the latest session's rows of recent
conversations in the process (what Rasa's query returns, as the JSON text it stored) with the
conversation's row count and last row id. A read or save first asks the database for that count
and id (one indexed query): when they match, nobody else (another Rasa process on the same
database) has written the conversation since, and the kept rows stand for Rasa's query; when they
differ, Rasa's own query runs. The count and id are taken before the rows are read and computed
from what this process wrote, never read after, so a concurrent writer can only make them differ
(a read from the database), not hide its rows. After a save the kept rows are what Rasa's query
would return: the rows at or after the latest SessionStarted row's timestamp (all rows without one).
"""
from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text, Tuple

import sqlalchemy as sa
import ujson
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

import rasa_patches

rasa_patches.install()


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# (row count, last row id) of one conversation's events in the database.
Stamp = Tuple[int, Optional[int]]


# (timestamp, type name, JSON data) of one event row.
Row = Tuple[Optional[float], Text, Text]


@dataclass
class KeptSession:
    """The rows Rasa's query returns for a conversation (its latest session), as of `stamp`."""

    stamp: Stamp
    rows: List[Row]

    def after(self, stamp: Stamp, added: List[Row]) -> "KeptSession":
        """The latest session once `added` are written, as Rasa's query selects it."""
        rows = self.rows + added
        starts = [time for time, type_name, _ in rows if type_name == SessionStarted.type_name and time is not None]
        start = max(starts, default=None)
        return KeptSession(stamp, [row for row in rows if start is None or (row[0] is not None and row[0] >= start)])


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose pool pings connections before use; on SQLite one WAL connection."""

    # Conversations whose latest session is kept (~50 kB each after a long form).
    KEPT_CONVERSATIONS = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        # On SQLite the kept sessions' stamps and the saves' inserts go to the driver's connection
        # (the one StaticPool holds): SQLAlchemy's session, connection and commit handling cost
        # several times the SQL (~1 ms of a message). Rasa's query for the rows, when they are not
        # current, still runs through the ORM on the same connection.
        self.sqlite: Optional[sqlite3.Connection] = None
        if url.get_backend_name() == "sqlite":
            self.engine = sa.create_engine(
                url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", _sqlite_wal)
            self.sqlite = self.engine.raw_connection().dbapi_connection
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.kept: "OrderedDict[Text, KeptSession]" = OrderedDict()  # most recently used last
        table = self.SQLEvent.__tablename__
        # Text rather than a select() construct: a fifth of the CPU (no statement cache key to build).
        self.stamp_sql = f"SELECT count(id), max(id) FROM {table} WHERE sender_id = :sender_id"
        self.insert_sql = (
            f"INSERT INTO {table} (sender_id, type_name, timestamp, intent_name, action_name, data) "
            f"VALUES (:sender_id, :type_name, :timestamp, :intent_name, :action_name, :data)"
        )

    def _stamp(self, sender_id: Text, session: Optional[sa.orm.Session]) -> Stamp:
        """The conversation's row count and last row id (`session`: the ORM's, else SQLite's driver)."""
        if session is None:
            assert self.sqlite is not None
            count, last_id = self.sqlite.execute(self.stamp_sql, {"sender_id": sender_id}).fetchone()
        else:
            count, last_id = session.connection().execute(sa.text(self.stamp_sql), {"sender_id": sender_id}).one()
        return count, last_id

    def _keep(self, sender_id: Text, kept: KeptSession) -> None:
        self.kept[sender_id] = kept
        self.kept.move_to_end(sender_id)
        if len(self.kept) > self.KEPT_CONVERSATIONS:
            self.kept.popitem(last=False)

    def _kept_rows(self, sender_id: Text, session: Optional[sa.orm.Session]) -> KeptSession:
        """The conversation's latest-session rows: the kept ones if still current, else Rasa's query's."""
        stamp = self._stamp(sender_id, session)
        kept = self.kept.get(sender_id)
        if stamp == (0, None):
            kept = KeptSession(stamp, [])  # a new conversation
        elif kept is None or kept.stamp != stamp:
            kept = KeptSession(stamp, self._latest_session_rows(sender_id, session))
        self._keep(sender_id, kept)
        return kept

    def _latest_session_rows(self, sender_id: Text, session: Optional[sa.orm.Session]) -> List[Row]:
        """Rasa's query for the rows of the latest session (on SQLite in an ORM session of its own)."""
        if session is None:
            with self.session_scope() as session:
                return self._latest_session_rows(sender_id, session)
        rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        return [(row.timestamp, row.type_name, row.data) for row in rows]

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """Rasa's `retrieve` (the latest session), from the kept rows when they are current."""
        if not self.domain:
            return await super().retrieve(sender_id)
        if self.sqlite:
            rows = self._kept_rows(sender_id, None).rows
        else:
            with self.session_scope() as session:
                rows = self._kept_rows(sender_id, session).rows
        if not rows:
            return None
        # ujson reads the rows json.dumps wrote to the same values (floats to the same double) in
        # half the time (~0.3 ms of a message for a conversation with a form).
        return DialogueStateTracker.from_dict(sender_id, [ujson.loads(data) for _, _, data in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `save`: the events after those of the latest session in the database are added."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        if self.sqlite:
            kept = self._kept_rows(sender_id, None)
            added = self._new_rows(kept, tracker)
            # One transaction: SQLite lets one write at a time, so the count and last id read back
            # before the commit are all the rows, this save's included.
            with self.sqlite:
                self.sqlite.executemany(self.insert_sql, added)
                stamp = self._stamp(sender_id, None)
        else:
            with self.session_scope() as session:
                kept = self._kept_rows(sender_id, session)
                added = self._new_rows(kept, tracker)
                # Another writer may commit before this one: the new last id is that of the rows
                # added here (by the ORM, which reads the ids back).
                objects = [self.SQLEvent(**row) for row in added]
                session.add_all(objects)
                session.flush()
                count, last_id = kept.stamp
                ids = [row.id for row in objects] + ([] if last_id is None else [last_id])
                stamp = (count + len(objects), max(ids, default=None))
                session.commit()
        new_rows = [(row["timestamp"], row["type_name"], row["data"]) for row in added]
        if stamp[0] == kept.stamp[0] + len(added):  # else another writer's rows came in between
            self._keep(sender_id, kept.after(stamp, new_rows))

    def _new_rows(self, kept: KeptSession, tracker: DialogueStateTracker) -> List[Dict[Text, Any]]:
        """The rows of the tracker's events after the kept ones; the conversation is kept again
        once they are committed."""
        del self.kept[tracker.sender_id]
        return [self._row(tracker.sender_id, event.type_name, event.as_dict())
                for event in list(tracker.events)[len(kept.rows):]]

    @staticmethod
    def _row(sender_id: Text, type_name: Text, data: Dict[Text, Any]) -> Dict[Text, Any]:
        """The row Rasa's `save` writes for one event."""
        return {
            "sender_id": sender_id,
            "type_name": type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
