"""Where the report reads from: Rasa's configured tracker store and the request store."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

from insights.period import CHINA, Period

Event = Dict[str, Any]


@dataclass
class Conversation:
    """One Rasa conversation session of one sender: its events in order (as dicts)."""

    sender_id: str
    events: List[Event] = field(default_factory=list)

    @property
    def user_events(self) -> List[Event]:
        """The messages the user sent, each once, as it first reached the tracker.

        Rewinds (``rewind``, ``undo``, ``restart``) do not unsend a message, so reverted turns
        stay. Rasa's two-stage fallback, once the user clarifies (an affirmed suggestion or a
        rephrase), rewinds and re-adds the clarified message as a copy carrying the same
        ``message_id`` (new timestamp, confidence 1.0): that copy is not another message.
        Events without a ``message_id`` cannot be matched and each count as one message.
        """
        seen: Set[str] = set()
        sent: List[Event] = []
        for event in self.events:
            if event.get("event") != "user":
                continue
            message_id = event.get("message_id")
            if message_id is not None:
                if message_id in seen:
                    continue
                seen.add(message_id)
            sent.append(event)
        return sent

    @property
    def started_at(self) -> float:
        """Timestamp of the first user message."""
        return self.user_events[0]["timestamp"]

    @property
    def channel(self) -> str:
        """Input channel of the first user message (``unknown`` when Rasa did not record one)."""
        return self.user_events[0].get("input_channel") or "unknown"


@dataclass(frozen=True)
class SavedRequest:
    """The fields of a saved support request the report counts."""

    created_at: datetime
    issue_category: str
    request_goal: str


class NoTrackerStoreError(RuntimeError):
    """No endpoints file, or it configures no persistent tracker store."""


def split_sessions(sender_id: str, events: List[Event]) -> Iterator[Conversation]:
    """Cut a sender's full event history at each ``session_started``; keep sessions with messages."""
    current = Conversation(sender_id)
    for event in events:
        if event.get("event") == "session_started" and _has_user_event(current.events):
            yield current
            current = Conversation(sender_id)
        current.events.append(event)
    if _has_user_event(current.events):
        yield current


def _has_user_event(events: List[Event]) -> bool:
    return any(event.get("event") == "user" for event in events)


def load_conversations(endpoints_path: Path, period: Period) -> List[Conversation]:
    """Sessions whose first user message falls in ``period``, from the endpoints' tracker store.

    Uses Rasa's own ``TrackerStore.create`` (SQL, Redis, MongoDB, DynamoDB or a custom class)
    and ``retrieve_full_tracker`` for every sender that wrote in the period.
    """
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints

    if not endpoints_path.is_file():
        raise NoTrackerStoreError(f"endpoints file not found: {endpoints_path}")
    endpoint = AvailableEndpoints.read_endpoints(str(endpoints_path)).tracker_store
    if endpoint is None or endpoint.type is None:
        raise NoTrackerStoreError(
            f"{endpoints_path} has no tracker_store: conversations were only kept in memory"
        )
    store = TrackerStore.create(endpoint)
    # Trackers are rebuilt with an empty domain (the report needs events, not slot objects):
    # silence Rasa's complaint about every slot it does not know.
    trackers_logger = logging.getLogger("rasa.shared.core.trackers")
    level = trackers_logger.level
    trackers_logger.setLevel(logging.CRITICAL)
    try:
        histories = asyncio.run(_histories(store, period))
    finally:
        trackers_logger.setLevel(level)
    return sorted(
        (
            conversation
            for sender_id, events in histories.items()
            for conversation in split_sessions(sender_id, events)
            if period.contains_timestamp(conversation.started_at)
        ),
        key=lambda conversation: conversation.started_at,
    )


async def _histories(store: Any, period: Period) -> Dict[str, List[Event]]:
    histories: Dict[str, List[Event]] = {}
    for sender_id in await _senders(store, period):
        tracker = await store.retrieve_full_tracker(sender_id)
        if tracker is not None:
            histories[sender_id] = [event.as_dict() for event in tracker.events]
    return histories


async def _senders(store: Any, period: Period) -> List[str]:
    """Senders to read: for SQL stores only those with a user message in the period, else all."""
    from rasa.core.tracker_store import SQLTrackerStore

    if not isinstance(store, SQLTrackerStore):
        return list(await store.keys())
    events = store.SQLEvent
    with store.session_scope() as session:
        rows = (
            session.query(events.sender_id)
            .filter(
                events.type_name == "user",
                events.timestamp >= period.start.timestamp(),
                events.timestamp < period.end.timestamp(),
            )
            .distinct()
            .all()
        )
    return [sender_id for (sender_id,) in rows]


def load_requests(period: Period, url: Optional[str] = None) -> List[SavedRequest]:
    """Support requests saved in ``period`` (store chosen like the form does: ``REQUEST_STORE_URL``)."""
    import sqlalchemy as sa

    from actions.request_store import get_store, requests_table

    columns = [requests_table.c.created_at, requests_table.c.issue_category, requests_table.c.request_goal]
    with get_store(url).engine.connect() as connection:
        rows = connection.execute(sa.select(*columns)).all()
    saved = (
        SavedRequest(_china_datetime(created_at), category, goal)
        for created_at, category, goal in rows
    )
    return [request for request in saved if period.contains(request.created_at)]


def _china_datetime(iso: str) -> datetime:
    """An ISO timestamp as an aware datetime (naive ones are China time)."""
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)
