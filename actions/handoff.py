"""Hand confirmed requests to a human team: POST them as JSON to ``HANDOFF_WEBHOOK_URL``.

Each delivery has a timeout and a few retries with exponential backoff. A request that could not
be delivered stays in the store with ``delivered = false``; ``deliver_pending`` retries all of them
(the form starts it in the background after each save, and ``python -m actions.handoff retry``
runs it by hand or from cron). Delivery is at least once: receivers deduplicate by ``reference``.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, Collection, Optional

import requests

from actions.request_store import RequestStore, SupportRequest, get_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandoffConfig:
    """Where and how hard to try delivering."""

    url: str
    timeout: float = 5.0
    attempts: int = 3
    backoff: float = 0.5

    @classmethod
    def from_env(cls) -> Optional["HandoffConfig"]:
        """The configuration from the environment, or None when no webhook is set."""
        url = os.environ.get("HANDOFF_WEBHOOK_URL", "").strip()
        if not url:
            return None
        return cls(
            url=url,
            timeout=float(os.environ.get("HANDOFF_TIMEOUT", "5")),
            attempts=int(os.environ.get("HANDOFF_ATTEMPTS", "3")),
            backoff=float(os.environ.get("HANDOFF_BACKOFF", "0.5")),
        )


def deliver(
    request: SupportRequest, config: HandoffConfig, sleep: Callable[[float], None] = time.sleep
) -> Optional[str]:
    """POST one request; None on success (HTTP 2xx), else the last error."""
    error = "not attempted"
    for attempt in range(config.attempts):
        if attempt:
            sleep(config.backoff * 2 ** (attempt - 1))
        try:
            response = requests.post(config.url, json=request.to_json(), timeout=config.timeout)
            if 200 <= response.status_code < 300:
                return None
            error = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        logger.warning("handoff of %s failed (attempt %d): %s", request.reference, attempt + 1, error)
    return error


def deliver_pending(
    store: Optional[RequestStore] = None,
    config: Optional[HandoffConfig] = None,
    skip: Collection[str] = (),
) -> tuple[int, int]:
    """Try every undelivered request (but ``skip``) once, with retries; returns (delivered, failing)."""
    config = config or HandoffConfig.from_env()
    if config is None:
        return 0, 0
    store = store or get_store()
    delivered = failed = 0
    for request in store.list_undelivered():
        if request.reference in skip:
            continue
        if deliver_and_record(store, request, config):
            delivered += 1
        else:
            failed += 1
    return delivered, failed


def deliver_and_record(store: RequestStore, request: SupportRequest, config: HandoffConfig) -> bool:
    """Deliver one saved request and record the outcome in the store; True when delivered."""
    error = deliver(request, config)
    if error is None:
        store.mark_delivered(request.reference)
        return True
    store.record_failure(request.reference, error)
    return False


def main(argv: list[str]) -> int:
    """``python -m actions.handoff retry``: deliver what is pending; exit 1 if some still fail."""
    if argv != ["retry"]:
        print("usage: python -m actions.handoff retry", file=sys.stderr)
        return 2
    if HandoffConfig.from_env() is None:
        print("HANDOFF_WEBHOOK_URL is not set: nothing to deliver to", file=sys.stderr)
        return 2
    delivered, failed = deliver_pending()
    print(f"delivered {delivered}, still undelivered {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
