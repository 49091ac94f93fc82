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
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs

import rasa_patches

rasa_patches.install()


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose pool pings connections before use; on SQLite one WAL connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        if url.get_backend_name() == "sqlite":
            self.engine = sa.create_engine(
                url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
