"""`rasa shell` against the trained model and a real action server, driven through a pty."""

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pexpect
import pytest

from tests.support.servers import RASA, ROOT, Stack, free_port, rest_message, write_endpoints

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[=>]|\r")
PROMPT = "Your input ->"
UP = "\x1b[A"
STARTUP_SECONDS = 300
REPLY_SECONDS = 90


class Terminal:
    """A pty session whose output is read with ANSI escapes removed."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.seen = ""
        self.mark = 0

    def wait_for(self, text: str, timeout: float) -> str:
        """Waits until text appears after the last mark; returns the output since the mark."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.mark :]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not shown; terminal so far:\n{self.seen[-3000:]}")
            try:
                self.seen += ANSI.sub("", self.child.read_nonblocking(4096, timeout=1))
            except pexpect.TIMEOUT:
                continue
        found = self.seen.index(text, self.mark) + len(text)
        since, self.mark = self.seen[self.mark : found], found
        return since

    def send(self, keys: str) -> None:
        self.child.send(keys)


def first_line(reply: Dict[str, Any]) -> str:
    return reply["text"].strip().splitlines()[0]


def answer(terminal: Terminal, previous: List[Dict[str, Any]], text: str) -> None:
    """Types text, leaving the button menu for free text first when the last reply had buttons."""
    if previous and previous[-1].get("buttons"):
        terminal.wait_for("Type out your own message", REPLY_SECONDS)
        terminal.send(UP)  # the menu wraps to its last entry: "type out your own message"
        terminal.send("\r")
    terminal.wait_for(PROMPT, REPLY_SECONDS)
    terminal.send(text + "\r")


def test_rasa_shell_conversation_in_chinese(
    stack: Stack, trained_model: Path, tmp_path: Path
) -> None:
    endpoints = write_endpoints(tmp_path, stack.actions.url)
    mirror = f"shell-mirror-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "LANG": "C.UTF-8"}
    child = pexpect.spawn(
        RASA,
        ["shell", "-m", str(trained_model), "--endpoints", str(endpoints), "--port", str(free_port())],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(40, 160),
        timeout=REPLY_SECONDS,
    )
    terminal = Terminal(child)
    try:
        terminal.wait_for("Bot loaded.", STARTUP_SECONDS)
        terminal.wait_for(PROMPT, REPLY_SECONDS)

        # The same conversation over REST tells what the shell must show.
        greeting = rest_message(stack.rasa.url, mirror, "你好")
        terminal.send("你好\r")
        terminal.wait_for(first_line(greeting[0]), REPLY_SECONDS)

        question = "我的订单一直没有收到货怎么办"
        replies = rest_message(stack.rasa.url, mirror, question)
        answer(terminal, greeting, question)
        terminal.wait_for(first_line(replies[0]), REPLY_SECONDS)

        follow_up = "怎么联系人工客服"
        more = rest_message(stack.rasa.url, mirror, follow_up)
        answer(terminal, replies, follow_up)
        terminal.wait_for(first_line(more[0]), REPLY_SECONDS)

        answer(terminal, more, "/stop")
        child.expect(pexpect.EOF, timeout=60)
        child.close()
        assert child.exitstatus == 0, terminal.seen[-2000:]
    finally:
        if child.isalive():
            child.kill(9)
