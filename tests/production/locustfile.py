"""Locust load profile: many concurrent buyers and sellers chatting over the REST channel.

Each simulated user is one conversation (its own sender id) that walks through a typical help
dialogue at human speed. A reply counts as a failure unless it is HTTP 200 with at least one
message that is not the static "system busy" answer.
"""
from __future__ import annotations

import itertools
import uuid

from locust import HttpUser, between, task

from channels.guard import default_settings

STATIC_ANSWER = default_settings().text("service_unavailable")
DIALOGUES = [
    ["你好", "怎么联系人工客服", "我是买家，用的是App", "谢谢"],
    ["我是卖家", "卖家客服什么时候上班", "怎么找店铺的关联负责人", "好的谢谢"],
    ["订单8123456789012345一直没收到货", "物流十天没更新了", "客服多久回复", "再见"],
]
_dialogue_numbers = itertools.count()


class ChatUser(HttpUser):
    """One conversation: its messages in order, then it starts over as a new conversation."""

    wait_time = between(2, 4)

    def on_start(self) -> None:
        self.lines = DIALOGUES[next(_dialogue_numbers) % len(DIALOGUES)]
        self.sender = f"load-{uuid.uuid4().hex[:10]}"
        self.turn = 0

    @task
    def say(self) -> None:
        text = self.lines[self.turn % len(self.lines)]
        self.turn += 1
        with self.client.post(
            "/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            name="/webhooks/rest/webhook",
            catch_response=True,
            timeout=30,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            replies = response.json()
            joined = "\n".join(str(r.get("text", "")) for r in replies)
            if not replies:
                response.failure("no reply")
            elif STATIC_ANSWER in joined:
                response.failure("static fallback answer")
            else:
                response.success()
