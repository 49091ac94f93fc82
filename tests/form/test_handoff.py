"""Handoff webhook: timeout, retries with backoff, nothing lost, `python -m actions.handoff retry`."""
from __future__ import annotations

import os
import subprocess
import sys

from actions.handoff import HandoffConfig, deliver, deliver_pending
from actions.request_store import get_store
from tests.form.test_request_store import make_request
from tests.form.webhook import ScriptedWebhook
from tests.support.servers import ROOT, free_port


def test_delivery_retries_with_backoff_until_the_webhook_accepts():
    sleeps = []
    with ScriptedWebhook([500, 503, 200]) as hook:
        error = deliver(make_request(), HandoffConfig(hook.url, timeout=2, attempts=3, backoff=0.1), sleep=sleeps.append)
    assert error is None
    assert hook.calls == 3
    assert sleeps == [0.1, 0.2]
    assert hook.received[0]["order_id"] == "8123456789012345"
    assert hook.received[0]["summary"] == "订单#8123456789012345，物流问题，要求退款，希望48小时内回复。"


def test_delivery_gives_up_after_the_attempts():
    with ScriptedWebhook([503]) as hook:
        error = deliver(make_request(), HandoffConfig(hook.url, attempts=2, backoff=0), sleep=lambda s: None)
    assert error == "HTTP 503"
    assert hook.calls == 2


def test_delivery_times_out():
    with ScriptedWebhook([200], delay=1.5) as hook:
        error = deliver(make_request(), HandoffConfig(hook.url, timeout=0.3, attempts=1))
    assert error.startswith("ReadTimeout")


def test_unreachable_webhook_is_an_error_not_a_crash():
    error = deliver(make_request(), HandoffConfig(f"http://127.0.0.1:{free_port()}/x", attempts=1, timeout=1))
    assert error.startswith("ConnectionError")


def test_failed_delivery_stays_saved_and_is_retried_on_the_next_save(store_url):
    store = get_store()
    with ScriptedWebhook([500, 500, 200]) as hook:
        config = HandoffConfig(hook.url, attempts=2, backoff=0)
        first = store.save(make_request())
        assert deliver_pending(store, config) == (0, 1)
        kept = store.get(first.reference)
        assert (kept.delivered, kept.last_error) == (False, "HTTP 500")
        second = store.save(make_request("ABC123"))
        assert deliver_pending(store, config) == (2, 0)
    assert [body["reference"] for body in hook.received] == [first.reference, second.reference]
    assert store.list_undelivered() == []


def test_no_webhook_configured_means_nothing_is_sent(store_url):
    store = get_store()
    store.save(make_request())
    assert deliver_pending(store) == (0, 0)
    assert len(store.list_undelivered()) == 1


def _retry_command(env_extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "actions.handoff", "retry"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_retry_command_delivers_what_failed_before(store_url):
    store = get_store()
    saved = store.save(make_request())
    env = {"REQUEST_STORE_URL": store_url, "HANDOFF_ATTEMPTS": "1", "HANDOFF_BACKOFF": "0"}
    with ScriptedWebhook([502, 200]) as hook:
        failing = _retry_command({**env, "HANDOFF_WEBHOOK_URL": hook.url})
        assert failing.returncode == 1, failing.stderr
        assert "delivered 0, still undelivered 1" in failing.stdout
        assert store.get(saved.reference).delivered is False
        ok = _retry_command({**env, "HANDOFF_WEBHOOK_URL": hook.url})
    assert ok.returncode == 0, ok.stderr
    assert "delivered 1, still undelivered 0" in ok.stdout
    assert store.get(saved.reference).delivered is True
    assert hook.received[0]["reference"] == saved.reference


def test_retry_command_without_a_webhook_says_so(store_url):
    result = _retry_command({"REQUEST_STORE_URL": store_url})
    assert result.returncode == 2
    assert "HANDOFF_WEBHOOK_URL is not set" in result.stderr
