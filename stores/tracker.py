"""Rasa's SQL tracker store, made to survive a database restart.

Rasa 3.6 creates its SQLAlchemy engine without ``pool_pre_ping``: after PostgreSQL restarts,
every pooled connection is dead, and the next message of each server fails (Rasa then answers
from an empty in-memory conversation). With ``pool_pre_ping`` each connection is checked when
it is taken from the pool and replaced if the database went away, so no message is lost to a
restart. Everything else is Rasa's ``SQLTrackerStore``.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose connection pool pings connections before using them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
