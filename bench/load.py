"""Load generators: sequential /model/parse latency and concurrent REST conversations (aiohttp).

Every loop is bounded twice: by a message count and by a wall-clock deadline.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import aiohttp
import numpy as np


def percentiles(samples_ms: Sequence[float]) -> Dict[str, Optional[float]]:
    """p50/p95/p99 and mean of latencies in milliseconds (None when there is no sample)."""
    if not samples_ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None}
    values = np.asarray(samples_ms, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "p99_ms": round(float(p99), 2),
        "mean_ms": round(float(values.mean()), 2),
    }


@dataclass
class ParseResult:
    """Sequential /model/parse run."""

    latencies_ms: List[float]
    first_ms: Optional[float]
    errors: int
    intents: List[Optional[str]]

    def summary(self) -> Dict[str, Any]:
        return {
            "messages": len(self.latencies_ms),
            "errors": self.errors,
            "first_request_ms": self.first_ms,
            **percentiles(self.latencies_ms),
        }


async def _parse_all(
    base_url: str, texts: Sequence[str], deadline_s: float, timeout_s: float, token: Optional[str]
) -> ParseResult:
    latencies: List[float] = []
    intents: List[Optional[str]] = []
    errors = 0
    first: Optional[float] = None
    deadline = time.monotonic() + deadline_s
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    params = {"token": token} if token else None
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for text in texts:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                async with http.post(f"{base_url}/model/parse", json={"text": text}, params=params) as response:
                    body = await response.json(content_type=None)
                    ok = response.status == 200 and isinstance(body, dict)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                ok, body = False, None
            elapsed = (time.perf_counter() - started) * 1000
            if first is None:
                first = round(elapsed, 2)
            if ok:
                latencies.append(elapsed)
                intents.append((body.get("intent") or {}).get("name"))
            else:
                errors += 1
                intents.append(None)
    return ParseResult(latencies, first, errors, intents)


def parse_latency(
    base_url: str, texts: Sequence[str], deadline_s: float = 120, timeout_s: float = 30, token: Optional[str] = None
) -> ParseResult:
    """POST each text to /model/parse one after another; the first request is also reported alone."""
    return asyncio.run(_parse_all(base_url, texts, deadline_s, timeout_s, token))


@dataclass
class LevelResult:
    """One concurrency level of the REST conversation load."""

    concurrency: int
    latencies_ms: List[float]
    errors: int
    empty_replies: int
    wall_s: float
    conversations_done: int
    conversations_planned: int
    senders: List[str]

    def summary(self) -> Dict[str, Any]:
        sent = len(self.latencies_ms) + self.errors
        return {
            "concurrency": self.concurrency,
            "messages": sent,
            "errors": self.errors,
            "empty_replies": self.empty_replies,
            "conversations": self.conversations_done,
            "conversations_planned": self.conversations_planned,
            "wall_s": round(self.wall_s, 3),
            "throughput_msg_s": round(len(self.latencies_ms) / self.wall_s, 2) if self.wall_s else 0.0,
            **percentiles(self.latencies_ms),
        }


async def _conversations(
    base_url: str,
    scripts: Sequence[Sequence[str]],
    concurrency: int,
    total: int,
    sender_prefix: str,
    deadline_s: float,
    timeout_s: float,
) -> LevelResult:
    queue: "asyncio.Queue[int]" = asyncio.Queue()
    for index in range(total):
        queue.put_nowait(index)
    latencies: List[float] = []
    counters = {"errors": 0, "empty": 0, "done": 0}
    senders: List[str] = []
    deadline = time.monotonic() + deadline_s
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def user(http: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender = f"{sender_prefix}-{index}"
            senders.append(sender)
            for text in scripts[index % len(scripts)]:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    async with http.post(
                        f"{base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                    ) as response:
                        body = await response.json(content_type=None)
                        ok = response.status == 200 and isinstance(body, list)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    ok, body = False, None
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                    counters["empty"] += 0 if body else 1
                else:
                    counters["errors"] += 1
            counters["done"] += 1

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(*(user(http) for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return LevelResult(
        concurrency, latencies, counters["errors"], counters["empty"], wall, counters["done"], total, senders
    )


def conversation_load(
    base_url: str,
    scripts: Sequence[Sequence[str]],
    concurrency: int,
    total: int,
    sender_prefix: str,
    deadline_s: float,
    timeout_s: float = 60,
) -> LevelResult:
    """`concurrency` virtual users work through `total` scripted conversations over the REST channel."""
    return asyncio.run(
        _conversations(base_url, scripts, concurrency, total, sender_prefix, deadline_s, timeout_s)
    )
