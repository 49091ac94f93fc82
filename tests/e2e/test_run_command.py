"""The README's run command: starts everything, answers over REST, and keeps conversations across a restart."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.support.servers import LOG_DIR, ROOT, free_port, reply_texts, rest_message

TOKEN = "run-command-test-token"


def _start(port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "RASA_PORT": str(port), "RASA_AUTH_TOKEN": TOKEN,
           "ASSISTANT_FROZEN_TIME": "2026-11-26T22:30:00+08:00"}
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, start_new_session=True,
        stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=2).ok:
                # The action server starts beside Rasa; wait until it answers too.
                if requests.get("http://127.0.0.1:5055/health", timeout=2).ok:
                    return process
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(log_path.read_text(errors="replace")[-3000:])


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def port(trained_model: Path) -> Iterator[int]:
    yield free_port()


def test_run_command_answers_and_keeps_the_conversation_across_a_restart(port: int) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    sender = f"run-{uuid.uuid4().hex[:8]}"
    base = f"http://127.0.0.1:{port}"

    first = _start(port, LOG_DIR / "run-1.log")
    try:
        assert "/webchat/" in (LOG_DIR / "run-1.log").read_text()
        rest_message(base, sender, "你好")
        answer = reply_texts(rest_message(base, sender, "卖家后台客服在哪"))
        assert "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm" in answer
        assert requests.get(f"{base}/conversations/{sender}/tracker", timeout=10).status_code in (401, 403)
    finally:
        _stop(first)

    second = _start(port, LOG_DIR / "run-2.log")
    try:
        tracker = requests.get(
            f"{base}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=10
        ).json()
        said = [event["text"] for event in tracker["events"] if event["event"] == "user"]
        assert said[:2] == ["你好", "卖家后台客服在哪"]
        assert tracker["slots"]["role"] == "seller"
        assert reply_texts(rest_message(base, sender, "谢谢"))
    finally:
        _stop(second)
