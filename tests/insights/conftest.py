"""One real assistant for all insights tests: scripted conversations, then the report command."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import socketio

from insights.period import CHINA
from tests.support.servers import ROOT, Stack, rest_message, start_stack

FORM = "support_request_form"
# Lines no intent fits: typed gibberish (one with personal data) and an emoji-only message.
GIBBERISH = ["xqzv bnmkp", "😀😀"]
PHONE, EMAIL = "13812345678", "zkq.buyer@example.com"
PII_GIBBERISH = f"qwop zxkv {PHONE} {EMAIL}"
# Three unhandled turns in a row (the intents.md examples of out_of_scope, all different).
OFF_TOPIC = ["今天天气怎么样", "讲个笑话", "推荐一部电影"]
FORM_ANSWERS = {
    "issue_category": "物流问题",
    "order_id": "8123456789012345",
    "request_goal": "查询物流",
    "expected_time": "尽快",
}


@dataclass
class Said:
    """Everything the script sent, as the test saw it from outside."""

    stack: Stack
    senders: Dict[str, str] = field(default_factory=dict)  # sender → channel
    said_by: Dict[str, int] = field(default_factory=dict)  # sender → messages sent
    lines: List[str] = field(default_factory=list)
    sent_at: List[List[datetime]] = field(default_factory=list)  # [before, after] per message
    first_sent: Dict[str, List[datetime]] = field(default_factory=dict)  # per sender
    abandoned_at: Optional[str] = None

    def note(self, sender: str, channel: str, text: str, before: float, after: float) -> None:
        """Record one message sent between ``before`` and ``after`` (Unix time)."""
        self.senders.setdefault(sender, channel)
        self.said_by[sender] = self.said_by.get(sender, 0) + 1
        self.lines.append(text)
        window = [datetime.fromtimestamp(t, CHINA) for t in (before, after)]
        self.sent_at.append(window)
        self.first_sent.setdefault(sender, window)

    def say(self, sender: str, text: str) -> List[Dict[str, Any]]:
        """One REST message."""
        before = time.time()
        replies = rest_message(self.stack.rasa.url, sender, text)
        self.note(sender, "rest", text, before, time.time())
        return replies

    def click(self, sender: str, replies: List[Dict[str, Any]], payload: str) -> List[Dict[str, Any]]:
        """Press the button with ``payload`` among the bot's last replies."""
        offered = [b["payload"] for reply in replies for b in reply.get("buttons") or []]
        assert payload in offered, f"no {payload} button in {replies}"
        return self.say(sender, payload)

    @property
    def period(self) -> Tuple[date, date]:
        """The China dates the script ran on."""
        days = [moment.date() for window in self.sent_at for moment in window]
        return min(days), max(days)

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The sender's tracker through Rasa's HTTP API (a path independent of the report)."""
        response = requests.get(f"{self.stack.rasa.url}/conversations/{sender}/tracker", timeout=30)
        response.raise_for_status()
        return response.json()

    def form_state(self, sender: str) -> Tuple[Optional[str], Optional[str]]:
        """(active loop, requested slot) right now."""
        tracker = self.tracker(sender)
        return (tracker.get("active_loop") or {}).get("name"), tracker["slots"].get("requested_slot")


def _socketio_conversation(said: Said, sender: str, lines: List[str]) -> None:
    """Messages over the socket.io channel; waits until the tracker has each one."""
    client = socketio.Client(reconnection=False)
    replied = threading.Event()
    client.on("bot_uttered", lambda _data: replied.set())
    client.connect(said.stack.rasa.url, transports=["polling"], socketio_path="socket.io", wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": sender})
        for count, text in enumerate(lines, start=1):
            replied.clear()
            before = time.time()
            client.emit("user_uttered", {"message": text, "session_id": sender})
            assert replied.wait(90), f"no socket.io reply to {text!r}"
            deadline = time.monotonic() + 30
            while sum(e["event"] == "user" for e in said.tracker(sender)["events"]) < count:
                assert time.monotonic() < deadline, "socket.io message never reached the tracker"
                time.sleep(0.3)
            said.note(sender, "socketio", text, before, time.time())
    finally:
        client.disconnect()


def _form(said: Said, sender: str, quit_after: Optional[int]) -> None:
    """Start the form and answer what it asks; quit (deny + 不填了) after ``quit_after`` answers."""
    replies = said.say(sender, "帮我整理要发给客服的问题")
    for answered in range(len(FORM_ANSWERS) + 2):
        loop, slot = said.form_state(sender)
        if loop != FORM:
            break
        if answered == quit_after:
            said.abandoned_at = slot
            said.click(sender, said.say(sender, "不用了"), "/affirm")
            assert said.form_state(sender)[0] is None, "the form did not stop"
            return
        replies = said.say(sender, FORM_ANSWERS[slot])
    assert quit_after is None and said.form_state(sender)[0] is None, f"the form never finished: {replies}"
    said.click(sender, replies, "/affirm")  # confirms the summary: the request is saved


def converse(said: Said, run: str) -> None:
    """The scripted traffic: 7 REST and 2 socket.io conversations."""
    for text in ["你好", "谢谢", "再见"]:
        said.say(f"{run}-greeter", text)
    for text in ["你好", GIBBERISH[0], PII_GIBBERISH]:
        said.say(f"{run}-gibberish", text)
    said.say(f"{run}-emoji", GIBBERISH[1])
    for text in OFF_TOPIC:
        said.say(f"{run}-striker", text)
    said.say(f"{run}-human", "转人工")
    _form(said, f"{run}-form-quit", quit_after=1)
    _form(said, f"{run}-form-done", quit_after=None)
    _socketio_conversation(said, f"{run}-web-1", ["你好"])
    _socketio_conversation(said, f"{run}-web-2", ["客服几点上班"])


def run_report(
    said: Said, out: Path, since: date, until: date, endpoints: Optional[Path] = None, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess:
    """The real command, as an operator runs it (default: the test stack's SQLite stores)."""
    stores = (
        ["--endpoints", str(said.stack.endpoints), "--requests-url", f"sqlite:///{said.stack.tracker_db.parent / 'requests.db'}"]
        if endpoints is None
        else ["--endpoints", str(endpoints)]
    )
    return subprocess.run(
        [sys.executable, "-m", "insights", "--since", since.isoformat(), "--until", until.isoformat(),
         "--out", str(out), *stores],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def said(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Said]:
    """A running assistant that has had the scripted conversations (stopped after the module)."""
    stack = start_stack(
        tmp_path_factory.mktemp("insights-stack"),
        env={"GUARD_RATE_CAPACITY": "1000", "GUARD_RATE_PER_SECOND": "100"},
        model=trained_model,
    )
    try:
        record = Said(stack)
        converse(record, f"ins{int(time.time())}")
        yield record
    finally:
        stack.stop()


@dataclass
class Report:
    """The command's outputs for the period that covers the script."""

    out: Path
    summary: Dict[str, Any]
    process: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def report(said: Said, tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = tmp_path_factory.mktemp("insights-report")
    process = run_report(said, out, *said.period)
    assert process.returncode == 0, process.stderr[-3000:]
    return Report(out, json.loads((out / "summary.json").read_text(encoding="utf-8")), process)


def tracker_events(said: Said) -> Dict[str, List[Dict[str, Any]]]:
    """Every scripted sender's events from Rasa's HTTP API."""
    return {sender: said.tracker(sender)["events"] for sender in said.senders}


def user_events(events: Dict[str, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """The messages the users sent, from the HTTP API trackers: one ``user`` event per message_id.

    When a two-stage fallback ends because the user clarified, Rasa rewinds and re-adds the
    clarified message (a copy with the same message_id): the first event is the one sent.
    """
    first: Dict[str, Dict[str, Any]] = {}
    for evs in events.values():
        for event in evs:
            if event["event"] == "user":
                first.setdefault(event["message_id"], event)
    return list(first.values())


def intent_of(event: Dict[str, Any]) -> str:
    """The intent Rasa predicted for a user event."""
    return event["parse_data"]["intent"]["name"]


def ran(events: List[Dict[str, Any]], action: str) -> bool:
    """Whether ``action`` ran in these events."""
    return any(e["event"] == "action" and e.get("name") == action for e in events)


def day_after(day: date, days: int) -> date:
    """``day`` shifted by ``days`` (negative: earlier)."""
    return day + timedelta(days=days)
