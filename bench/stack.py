"""Start and measure one serving set-up: an echo server, or an action server plus a Rasa server."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import requests
import yaml

from bench.procs import RASA, MemorySampler, Server, free_port, start_actions, start_echo, start_rasa

FORM = "support_request_form"
MB = 1024 * 1024
# Rasa logs this when a custom action fails (action server down, error, time-out); the REST reply
# is still 200, so these are counted from the server log.
ACTION_FAILURE_LOG = "Encountered an exception while running action"


@dataclass
class Running:
    """Servers of one set-up; `peak_rss_mb` is filled in when they stop."""

    server: Server
    actions: Optional[Server]
    peak_rss_mb: Dict[str, Optional[float]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def action_failures(self) -> int:
        """Custom actions that failed while this Rasa server ran."""
        return self.server.log_path.read_text(errors="replace").count(ACTION_FAILURE_LOG)

    def start_s(self) -> Dict[str, Optional[float]]:
        return {
            "server": round(self.server.start_seconds, 3),
            "actions": round(self.actions.start_seconds, 3) if self.actions else None,
        }


def _stop(sampler: MemorySampler, running: Running) -> None:
    sampler.sample_now()
    for key, server in (("server", running.server), ("actions", running.actions)):
        if server is None:
            running.peak_rss_mb[key] = None
            continue
        server.stop()
        running.peak_rss_mb[key] = round(sampler.peaks.get(server.name, 0) / MB, 1)
        sampler.unwatch(server.name)


@contextmanager
def echo_stack(sampler: MemorySampler, log_dir: Path) -> Iterator[Running]:
    """The floor: the aiohttp echo server alone."""
    running = Running(start_echo(log_dir, sampler), None)
    try:
        yield running
    finally:
        _stop(sampler, running)


def write_endpoints(
    path: Path,
    action_url: Optional[str],
    tracker_db: Path,
    lock_store: Optional[Dict[str, Any]] = None,
) -> Path:
    """Endpoints for one set-up: action server, SQLite tracker store (as endpoints.yml), lock store."""
    config: Dict[str, Any] = {"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tracker_db)}}
    if action_url:
        config["action_endpoint"] = {"url": f"{action_url}/webhook"}
    if lock_store:
        config["lock_store"] = lock_store
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def write_rest_credentials(path: Path) -> Path:
    """Rasa's stock REST channel only, the same for every set-up (no channel-specific limits)."""
    path.write_text("rest:\n")
    return path


@contextmanager
def rasa_stack(
    name: str,
    model: Path,
    work_dir: Path,
    sampler: MemorySampler,
    *,
    with_actions: bool = True,
    lock_store: Optional[Dict[str, Any]] = None,
    env: Optional[Mapping[str, str]] = None,
    speedups: bool = False,
) -> Iterator[Running]:
    """Action server (own request store) + `rasa run` with `model`; stopped and measured on exit.

    `speedups` starts Rasa through `python -m bench.speedups` (cached action-response validator).
    """
    directory = work_dir / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    log_dir = work_dir / "logs"
    env = {"REQUEST_STORE_URL": f"sqlite:///{directory / 'requests.db'}", "HANDOFF_WEBHOOK_URL": "", **(env or {})}
    actions = start_actions(f"{name}-actions", log_dir, sampler, env=env) if with_actions else None
    running = Running(server=None, actions=actions)  # type: ignore[arg-type]
    try:
        endpoints = write_endpoints(
            directory / "endpoints.yml",
            actions.url if actions else None,
            directory / "tracker.db",
            lock_store,
        )
        credentials = write_rest_credentials(directory / "credentials.yml")
        launcher = [sys.executable, "-m", "bench.speedups"] if speedups else [RASA]
        running.server = start_rasa(
            f"{name}-rasa", model, endpoints, credentials, log_dir, sampler, env=env, launcher=launcher
        )
        yield running
    finally:
        if running.server is None:
            if actions:
                actions.stop()
        else:
            _stop(sampler, running)


@contextmanager
def redis_server(log_dir: Path) -> Iterator[Optional[Dict[str, Any]]]:
    """A throw-away Redis on 127.0.0.1 for the lock store, or None when redis-server is missing."""
    binary = shutil.which("redis-server")
    if not binary:
        yield None
        return
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = _spawn_redis(cmd, port, log_dir)
    try:
        yield {"type": "redis", "url": "127.0.0.1", "port": port, "db": 1, "key_prefix": "bench"}
    finally:
        server.stop()


def _spawn_redis(cmd: List[str], port: int, log_dir: Path) -> Server:
    """Redis has no HTTP endpoint: ready when it answers PING."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"redis-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("redis", f"redis://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise TimeoutError(f"redis-server did not answer PING:\n{server.log_tail()}")


def custom_action_names(base_url: str) -> List[str]:
    """Custom actions and forms of the loaded domain (GET /domain)."""
    domain = requests.get(f"{base_url}/domain", headers={"Accept": "application/json"}, timeout=30).json()
    names = []
    for entry in domain.get("actions", []):
        names.extend(entry.keys() if isinstance(entry, dict) else [entry])
    names = [name for name in names if not name.startswith("utter_")]
    return sorted({*names, *domain.get("forms", {}).keys()})


def coverage(base_url: str, senders: List[str]) -> Dict[str, Any]:
    """What the scripted conversations exercised, read back from the trackers."""
    custom = set(custom_action_names(base_url))
    user_turns = custom_events = form_activations = 0
    actions_seen: Dict[str, int] = {}
    for sender in senders:
        events = requests.get(f"{base_url}/conversations/{sender}/tracker", timeout=30).json()["events"]
        for event in events:
            kind, name = event.get("event"), event.get("name")
            user_turns += kind == "user"
            if kind == "action" and name in custom:
                custom_events += 1
                actions_seen[name] = actions_seen.get(name, 0) + 1
            form_activations += kind == "active_loop" and name == FORM
    return {
        "conversations_inspected": len(senders),
        "user_turns": user_turns,
        "custom_action_runs": custom_events,
        "form_activations": form_activations,
        "custom_actions_seen": dict(sorted(actions_seen.items())),
    }
