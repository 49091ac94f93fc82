"""Input guard shared by every public channel.

Everything a user sends passes through here before it reaches Rasa:

* ``parse_json_body`` / ``inbound_from_payload`` turn a raw request into a validated
  ``Inbound`` (sender, cleaned and masked text, metadata) or raise ``GuardRejection``
  with a 4xx status and a polite Chinese text;
* ``clean_text`` removes control characters and lone surrogates;
* ``mask_pii`` masks phone numbers, e-mail addresses and Chinese ID-card numbers so that
  they never reach the tracker store or the logs (order numbers stay untouched);
* ``RateLimiter`` is a per-sender token bucket;
* ``answer_with_fallback`` runs the assistant and, when it fails, is silent or is too slow
  (action server down or hanging), sends the static answer naming the human channels.

Limits and texts live in ``channels/guard.yml``; each limit can be overridden from the
environment (``GUARD_*``).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import yaml

import parsing
import parsing.ids

logger = logging.getLogger(__name__)

GUARD_FILE = Path(__file__).with_name("guard.yml")

_ENV_NAMES = {
    "max_body_bytes": "GUARD_MAX_BODY_BYTES",
    "max_text_chars": "GUARD_MAX_TEXT_CHARS",
    "max_json_depth": "GUARD_MAX_JSON_DEPTH",
    "max_sender_chars": "GUARD_MAX_SENDER_CHARS",
    "rate_capacity": "GUARD_RATE_CAPACITY",
    "rate_per_second": "GUARD_RATE_PER_SECOND",
    "reply_timeout_seconds": "GUARD_REPLY_TIMEOUT",
    "max_tracked_senders": "GUARD_MAX_TRACKED_SENDERS",
}


@dataclass(frozen=True)
class GuardSettings:
    """Limits and static texts of the guard."""

    max_body_bytes: int
    max_text_chars: int
    max_json_depth: int
    max_sender_chars: int
    rate_capacity: float
    rate_per_second: float
    reply_timeout_seconds: float
    max_tracked_senders: int
    texts: Dict[str, str]

    def text(self, key: str) -> str:
        """Return the static text ``key`` with its placeholders filled in."""
        return self.texts[key].format(max_chars=self.max_text_chars)


def load_settings(path: Path = GUARD_FILE, env: Optional[Dict[str, str]] = None) -> GuardSettings:
    """Read ``guard.yml`` and apply ``GUARD_*`` environment overrides."""
    env = os.environ if env is None else env
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    limits = dict(data["limits"])
    for key, env_name in _ENV_NAMES.items():
        if env.get(env_name):
            limits[key] = env[env_name]
    return GuardSettings(
        max_body_bytes=int(limits["max_body_bytes"]),
        max_text_chars=int(limits["max_text_chars"]),
        max_json_depth=int(limits["max_json_depth"]),
        max_sender_chars=int(limits["max_sender_chars"]),
        rate_capacity=float(limits["rate_capacity"]),
        rate_per_second=float(limits["rate_per_second"]),
        reply_timeout_seconds=float(limits["reply_timeout_seconds"]),
        max_tracked_senders=int(limits["max_tracked_senders"]),
        texts={k: str(v) for k, v in data["texts"].items()},
    )


@lru_cache(maxsize=1)
def default_settings() -> GuardSettings:
    """Settings of this process (read once)."""
    return load_settings()


class GuardRejection(Exception):
    """A request the guard refuses; ``status`` is a 4xx code, ``text`` a polite reply."""

    def __init__(self, status: int, code: str, text: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.text = text

    def as_json(self) -> Dict[str, Any]:
        """Body of the HTTP error response."""
        return {"error": self.code, "message": self.text}


@dataclass(frozen=True)
class Inbound:
    """A validated user message, ready for Rasa."""

    sender: str
    text: str
    metadata: Optional[Dict[str, Any]]


# --------------------------------------------------------------------------- parsing


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (scalars have depth 0), computed iteratively."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_json_body(raw: Optional[bytes], settings: Optional[GuardSettings] = None) -> Dict[str, Any]:
    """Decode a request body into a JSON object or raise ``GuardRejection``."""
    settings = settings or default_settings()
    bad = settings.text("bad_request")
    if not raw:
        raise GuardRejection(400, "empty_body", bad)
    if len(raw) > settings.max_body_bytes:
        raise GuardRejection(413, "body_too_large", settings.text("too_long"))
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GuardRejection(400, "invalid_utf8", bad) from None
    try:
        payload = json.loads(decoded)
    except (ValueError, RecursionError):
        raise GuardRejection(400, "malformed_json", bad) from None
    return check_payload(payload, settings)


def check_payload(payload: Any, settings: Optional[GuardSettings] = None) -> Dict[str, Any]:
    """Require an already-parsed payload to be a JSON object of bounded depth."""
    settings = settings or default_settings()
    if not isinstance(payload, dict):
        raise GuardRejection(400, "not_an_object", settings.text("bad_request"))
    if json_depth(payload) > settings.max_json_depth:
        raise GuardRejection(400, "too_deep", settings.text("bad_request"))
    return payload


def inbound_from_payload(
    payload: Any,
    settings: Optional[GuardSettings] = None,
    metadata_key: str = "metadata",
    sender: Optional[str] = None,
) -> Inbound:
    """Validate a message payload; ``sender`` overrides the payload's sender (socket id)."""
    settings = settings or default_settings()
    payload = check_payload(payload, settings)
    bad = settings.text("bad_request")

    sender = payload.get("sender") if sender is None else sender
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str):
        raise GuardRejection(400, "missing_sender", bad)
    sender = clean_text(sender)
    if not sender or len(sender) > settings.max_sender_chars:
        raise GuardRejection(400, "invalid_sender", bad)

    text = payload.get("message")
    if not isinstance(text, str):
        raise GuardRejection(400, "invalid_message", bad)
    if len(text) > settings.max_text_chars:
        raise GuardRejection(413, "message_too_long", settings.text("too_long"))
    text = clean_text(text)
    if not text:
        raise GuardRejection(400, "empty_message", settings.text("empty"))

    metadata = payload.get(metadata_key)
    if metadata is not None and not isinstance(metadata, dict):
        raise GuardRejection(400, "invalid_metadata", bad)
    return Inbound(sender=sender, text=mask_pii(text), metadata=_mask_values(metadata))


def _mask_values(value: Any) -> Any:
    """``mask_pii`` applied to every string inside parsed JSON (depth is already bounded)."""
    if isinstance(value, str):
        return mask_pii(clean_text(value))
    if isinstance(value, dict):
        return {key: _mask_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_values(item) for item in value]
    return value


@dataclass(frozen=True)
class Screened:
    """Outcome of ``screen_text``: ``text`` goes to Rasa, else ``reply`` goes back to the user."""

    text: Optional[str]
    reply: Optional[str]


def screen_text(
    text: Any, sender: str, limiter: Optional["RateLimiter"] = None, settings: Optional[GuardSettings] = None
) -> Screened:
    """Guard one message of a messaging-app channel (the platform already checked the sender).

    Returns the cleaned, masked text for Rasa, or a polite reply (empty, too long, rate-limited).
    """
    settings = settings or default_settings()
    try:
        inbound = inbound_from_payload({"sender": sender, "message": text}, settings)
    except GuardRejection as rejection:
        return Screened(None, rejection.text)
    if limiter is not None and not limiter.allow(inbound.sender):
        return Screened(None, settings.text("rate_limited"))
    return Screened(inbound.text, None)


# --------------------------------------------------------------------------- cleaning

_KEEP_CONTROL = {"\n", "\t"}
_KEEP_FORMAT = {"\u200d"}  # zero-width joiner inside emoji sequences


def clean_text(text: str) -> str:
    """Drop control characters, bidi/format characters (except ZWJ) and lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            continue
        if category == "Cc" and char not in _KEEP_CONTROL:
            continue
        if category == "Cf" and char not in _KEEP_FORMAT:
            continue
        kept.append(char)
    return "".join(kept).strip()


# --------------------------------------------------------------------------- masking

# The one parser (parsing/) reads widths, ID cards and order numbers here as in the NLU and the form.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ID_CARD = parsing.ids.ID_CARD_IN_TEXT
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])0\d{2,3}-\d{7,8}(?!\d)")
is_id_card = parsing.is_id_card


def _mask_id(match: "re.Match[str]") -> str:
    number = match.group(0)
    return number[:4] + "*" * 10 + number[-4:] if is_id_card(number) else number


def _mask_mobile(match: "re.Match[str]") -> str:
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_landline(match: "re.Match[str]") -> str:
    area, number = match.group(0).split("-")
    return f"{area}-****{number[-2:]}"


def _mask_email(match: "re.Match[str]") -> str:
    local, domain = match.group(0).split("@", 1)
    return f"{local[0]}***@{domain}"


_MASKERS = ((_EMAIL, _mask_email), (_ID_CARD, _mask_id), (_MOBILE, _mask_mobile), (_LANDLINE, _mask_landline))


def mask_pii(text: str) -> str:
    """Mask e-mail addresses, ID-card numbers and phone numbers; everything else stays as typed.

    The patterns run on the width-folded text (a full-width phone number is still one), which has
    the same offsets, and only the masked spans are replaced in the original. Order numbers the
    parser finds are never masked.
    """
    folded = parsing.half_width(text)
    taken = [(start, end) for start, end, _ in parsing.find_order_ids(folded)]
    replacements = []
    for pattern, mask in _MASKERS:
        for match in pattern.finditer(folded):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            replacement = mask(match)
            if replacement != match.group(0):
                taken.append((match.start(), match.end()))
                replacements.append((match.start(), match.end(), replacement))
    for start, end, replacement in sorted(replacements, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


# --------------------------------------------------------------------------- rate limit


class RateLimiter:
    """Per-sender token bucket: ``capacity`` messages at once, ``per_second`` sustained."""

    def __init__(
        self,
        capacity: float,
        per_second: float,
        max_senders: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.max_senders = max_senders
        self._clock = clock
        self._buckets: "OrderedDict[str, tuple[float, float]]" = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Optional[GuardSettings] = None) -> "RateLimiter":
        """A limiter with the configured limits."""
        settings = settings or default_settings()
        return cls(settings.rate_capacity, settings.rate_per_second, settings.max_tracked_senders)

    def allow(self, sender: str) -> bool:
        """Take one token from ``sender``'s bucket; False when the bucket is empty."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(sender, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[sender] = (tokens, now)
            while len(self._buckets) > self.max_senders:
                self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, sender: str) -> int:
        """Seconds until ``sender`` has a token again (at least 1)."""
        with self._lock:
            tokens, _ = self._buckets.get(sender, (self.capacity, 0.0))
        missing = max(0.0, 1 - tokens)
        return max(1, int(missing / self.per_second + 0.999)) if self.per_second > 0 else 60


# --------------------------------------------------------------------------- fallback

_FAILURES: "contextvars.ContextVar[Optional[List[str]]]" = contextvars.ContextVar(
    "guard_failures", default=None
)
# Rasa catches these failures itself and only logs them, so their log records are the signal:
# a custom action whose server is down or failing (its events are dropped), and a tracker store
# that cannot be read or written (Rasa then answers from an empty in-memory conversation).
_FAILURE_MARKS = {
    "rasa.core.processor": ("Encountered an exception while running action", "action_failed"),
    "rasa.core.tracker_store": ("Falling back to use the", "store_failed"),
}


class _FailureHandler(logging.Handler):
    """Notes in the current message's context that Rasa hit one of ``_FAILURE_MARKS``."""

    def emit(self, record: logging.LogRecord) -> None:
        failures = _FAILURES.get()
        mark = _FAILURE_MARKS.get(record.name)
        if failures is not None and mark and mark[0] in str(record.msg):
            failures.append(mark[1])


_HANDLER = _FailureHandler(level=logging.ERROR)


def _install_failure_handler() -> None:
    for name in _FAILURE_MARKS:
        rasa_logger = logging.getLogger(name)
        if _HANDLER not in rasa_logger.handlers:
            rasa_logger.addHandler(_HANDLER)


def _log_late_failure(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("guard.late_failure", exc_info=task.exception())


async def answer_with_fallback(
    process: Callable[[], Awaitable[Any]],
    replies_sent: Callable[[], int],
    send_static: Callable[[str], Awaitable[Any]],
    settings: Optional[GuardSettings] = None,
) -> str:
    """Run ``process`` (the assistant handling one message) with a safety net.

    When it raises, reports a failed custom action or tracker store, sends no reply, or takes longer than
    ``reply_timeout_seconds``, the static ``service_unavailable`` text is sent through
    ``send_static``. A slow run is not cancelled: it finishes in the background so the
    message is still stored in the tracker. Returns the outcome: ``answered``,
    ``timeout``, ``error``, ``action_failed``, ``store_failed`` or ``silent``.
    """
    settings = settings or default_settings()
    _install_failure_handler()
    failures: List[str] = []
    token = _FAILURES.set(failures)
    try:
        task = asyncio.ensure_future(process())
    finally:
        _FAILURES.reset(token)
    done, _ = await asyncio.wait({task}, timeout=settings.reply_timeout_seconds)
    if not done:
        task.add_done_callback(_log_late_failure)
        outcome = "timeout"
    elif task.cancelled() or task.exception() is not None:
        if not task.cancelled():
            logger.error("guard.process_failed", exc_info=task.exception())
        outcome = "error"
    elif failures:
        outcome = failures[0]
    elif replies_sent() == 0:
        outcome = "silent"
    else:
        return "answered"
    logger.warning("guard.static_answer outcome=%s", outcome)
    await send_static(settings.text("service_unavailable"))
    return outcome
