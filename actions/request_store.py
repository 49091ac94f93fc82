"""Storage for confirmed support requests: one SQLAlchemy implementation, two back ends.

``REQUEST_STORE_URL`` chooses the database: unset → ``sqlite:///var/requests.db`` (relative to
the project root), ``postgresql://user:pw@host/db`` → PostgreSQL. The form never talks SQL: it
uses ``save``, ``get``, ``list_undelivered`` and ``mark_delivered``.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "sqlite:///var/requests.db"

_metadata = sa.MetaData()
requests_table = sa.Table(
    "support_requests",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(32), nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("issue_category", sa.String(32), nullable=False),
    sa.Column("request_goal", sa.String(32), nullable=False),
    sa.Column("expected_time", sa.String(16), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("role", sa.String(16)),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False, default=False),
    sa.Column("delivery_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
)


@dataclass
class SupportRequest:
    """A confirmed request as the user agreed to it (``reference`` is set when saved)."""

    sender_id: str
    order_id: str
    issue_category: str
    request_goal: str
    expected_time: str
    summary: str
    created_at: str
    role: Optional[str] = None
    reference: Optional[str] = None
    delivered: bool = False
    delivery_attempts: int = 0
    last_error: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        """The JSON body sent to the handoff webhook."""
        return asdict(self)


@dataclass
class RequestStore:
    """Requests in one SQL database (SQLite or PostgreSQL)."""

    url: str
    engine: sa.engine.Engine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.engine = sa.create_engine(_absolute_sqlite_url(self.url), future=True)
        _metadata.create_all(self.engine)

    def save(self, request: SupportRequest) -> SupportRequest:
        """Insert the request and return it with its new reference number."""
        day = datetime.fromisoformat(request.created_at).strftime("%Y%m%d")
        while True:
            reference = f"SR{day}-{secrets.token_hex(3).upper()}"
            row = {**request.to_json(), "reference": reference, "delivered": False}
            try:
                with self.engine.begin() as conn:
                    conn.execute(requests_table.insert().values(**row))
            except sa.exc.IntegrityError:
                continue  # reference collision: draw another one
            request.reference = reference
            return request

    def get(self, reference: str) -> Optional[SupportRequest]:
        """The request with this reference number, or None."""
        query = sa.select(requests_table).where(requests_table.c.reference == reference)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _from_row(row) if row else None

    def list_undelivered(self) -> List[SupportRequest]:
        """Requests not yet accepted by the handoff webhook, oldest first."""
        query = (
            sa.select(requests_table)
            .where(requests_table.c.delivered == sa.false())
            .order_by(requests_table.c.id)
        )
        with self.engine.connect() as conn:
            return [_from_row(row) for row in conn.execute(query).mappings()]

    def mark_delivered(self, reference: str) -> None:
        """Record a successful delivery."""
        self._update(reference, delivered=True, last_error=None)

    def record_failure(self, reference: str, error: str) -> None:
        """Record a failed delivery attempt; the request stays undelivered."""
        self._update(reference, last_error=error[:2000])

    def _update(self, reference: str, **values: Any) -> None:
        statement = (
            requests_table.update()
            .where(requests_table.c.reference == reference)
            .values(delivery_attempts=requests_table.c.delivery_attempts + 1, **values)
        )
        with self.engine.begin() as conn:
            conn.execute(statement)


def _from_row(row: Any) -> SupportRequest:
    values = dict(row)
    values.pop("id")
    return SupportRequest(**values)


def _absolute_sqlite_url(url: str) -> str:
    """Resolve a relative SQLite path against the project root and create its folder."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    path = Path(parsed.database)
    if not path.is_absolute():
        path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(parsed.set(database=str(path)))


_stores: Dict[str, RequestStore] = {}


def get_store(url: Optional[str] = None) -> RequestStore:
    """The store for ``url`` (default: ``REQUEST_STORE_URL`` or SQLite in var/), cached per URL."""
    url = url or os.environ.get("REQUEST_STORE_URL") or DEFAULT_URL
    if url not in _stores:
        _stores[url] = RequestStore(url)
    return _stores[url]
