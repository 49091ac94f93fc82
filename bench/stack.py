"""Start and measure one serving set-up: the echo floor, stock Rasa, or the product.

All servers come from the one harness (bench/harness.py). The product is started exactly as the
README does (`scripts/run.sh`); `rasa_stack` starts single servers for the stock baseline and
for the knobs that change one thing at a time.
"""
from __future__ import annotations

import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import psutil
import requests

from bench.harness import (
    CREDENTIALS,
    PRODUCT_TRACKER_STORE,
    RASA,
    RASA_SERVER,
    STOCK_TRACKER_STORE,
    UNLIMITED_GUARD,
    MemorySampler,
    ServerHandle,
    start_action_server,
    start_echo,
    start_product,
    start_rasa_server,
    wait_until_up,
    write_endpoints,
)

FORM = "support_request_form"
MB = 1024 * 1024
# Rasa logs this when a custom action fails (action server down, error, time-out); the REST reply
# is still 200, so these are counted from the server log.
ACTION_FAILURE_LOG = "Encountered an exception while running action"


@dataclass
class Running:
    """Servers of one set-up; `peak_rss_mb` is filled in when they stop."""

    server: ServerHandle
    actions: Optional[ServerHandle]
    token: Optional[str] = None
    server_log: Optional[Path] = None
    rasa_processes: int = 1
    peak_rss_mb: Dict[str, Optional[float]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def action_failures(self) -> int:
        """Custom actions that failed while this Rasa server ran."""
        return (self.server_log or self.server.log_path).read_text(errors="replace").count(ACTION_FAILURE_LOG)

    def start_s(self) -> Dict[str, Optional[float]]:
        return {
            "server": round(self.server.start_seconds, 3),
            "actions": round(self.actions.start_seconds, 3) if self.actions else None,
        }


def _stop(sampler: MemorySampler, running: Running, names: Dict[str, str]) -> None:
    sampler.sample_now()
    for key, name in names.items():
        running.peak_rss_mb[key] = round(sampler.peaks.get(name, 0) / MB, 1)
        running.peak_rss_mb[f"{key}_largest_process"] = round(sampler.process_peaks.get(name, 0) / MB, 1)
        sampler.unwatch(name)
    running.server.stop(timeout=30)
    if running.actions:
        running.actions.stop()


@contextmanager
def echo_stack(sampler: MemorySampler, log_dir: Path) -> Iterator[Running]:
    """The floor: the aiohttp echo server alone."""
    running = Running(start_echo(log_dir, sampler), None)
    try:
        yield running
    finally:
        _stop(sampler, running, {"server": "echo"})
        running.peak_rss_mb["actions"] = None


def _fresh(directory: Path) -> Path:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


@contextmanager
def rasa_stack(
    name: str,
    model: Path,
    work_dir: Path,
    sampler: MemorySampler,
    *,
    with_actions: bool = True,
    product_parts: bool = True,
    launch: Sequence[str] = (),
    tracker_store: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Iterator[Running]:
    """Action server (own request store) + one `rasa run` with `model`; stopped and measured on exit.

    `product_parts`: the product's channels (credentials.yml, guard without rate limit) and
    tracker store (which installs rasa_patches); otherwise stock Rasa: the `rest` channel and
    Rasa's SQL tracker store. `tracker_store` overrides the store's type; `launch` starts
    Rasa through `python -m bench.launch *launch` (bench/launch.py: action-response check, timers).
    """
    directory = _fresh(work_dir / name)
    log_dir = work_dir / "logs"
    env = {"REQUEST_STORE_URL": f"sqlite:///{directory / 'requests.db'}", "HANDOFF_WEBHOOK_URL": "",
           **UNLIMITED_GUARD, **(env or {})}
    # Both servers start together (as scripts/run.sh starts them): the action server is up by the
    # time the Rasa server has loaded its model.
    server = None
    actions = (
        start_action_server(env=env, name=f"{name}-actions", log_dir=log_dir, sampler=sampler, wait=False)
        if with_actions else None
    )
    try:
        endpoints = write_endpoints(
            directory, actions.url if actions else None, directory / "tracker.db",
            tracker_store=tracker_store or (PRODUCT_TRACKER_STORE if product_parts else STOCK_TRACKER_STORE),
        )
        credentials = CREDENTIALS
        if not product_parts:
            credentials = directory / "credentials.yml"
            credentials.write_text("rest:\n")
        if launch:
            launcher = [sys.executable, "-m", "bench.launch", *launch]
        else:
            launcher = list(RASA_SERVER) if product_parts else [RASA]
        server = start_rasa_server(
            model, endpoints, credentials, env=env, name=f"{name}-rasa", log_dir=log_dir, sampler=sampler,
            launcher=launcher,
        )
        if actions:
            wait_until_up(actions, "/health", 180)
    except Exception:
        if server:
            server.stop()
        if actions:
            actions.stop()
        raise
    running = Running(server, actions)
    try:
        yield running
    finally:
        names = {"server": server.name}
        if actions:
            names["actions"] = actions.name
        _stop(sampler, running, names)
        running.peak_rss_mb.setdefault("actions", None)


def _child(parent: psutil.Process, *words: str) -> psutil.Process:
    for child in parent.children(recursive=True):
        if all(word in " ".join(child.cmdline()) for word in words):
            return child
    raise RuntimeError(f"no process {' '.join(words)!r} under {parent.pid}")


@contextmanager
def product_stack(
    name: str,
    model: Path,
    work_dir: Path,
    sampler: MemorySampler,
    *,
    workers: Optional[int] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Iterator[Running]:
    """The product as the README starts it (`scripts/run.sh`; `workers`: RASA_WORKERS, None: its default)."""
    directory = _fresh(work_dir / name)
    env = {"HANDOFF_WEBHOOK_URL": "", **UNLIMITED_GUARD, **(env or {})}
    product = start_product(directory, model, env, workers=workers, name=name, log_dir=work_dir / "logs")
    script = psutil.Process(product.run.pid)
    rasa = _child(script, "rasa", "run", "--enable-api")
    actions = _child(script, "rasa", "run", "actions")
    names = {"server": f"{name}-rasa", "actions": f"{name}-actions"}
    sampler.watch(names["server"], rasa.pid)
    sampler.watch(names["actions"], actions.pid)
    # With several workers Sanic's main process only supervises its worker processes.
    processes = len(rasa.children()) or 1
    running = Running(product.run, product.actions, product.token, directory / "rasa.log", processes)
    try:
        yield running
    finally:
        _stop(sampler, running, names)


def custom_action_names(base_url: str, token: Optional[str] = None) -> List[str]:
    """Custom actions and forms of the loaded domain (GET /domain)."""
    domain = requests.get(
        f"{base_url}/domain", params={"token": token} if token else None,
        headers={"Accept": "application/json"}, timeout=30,
    ).json()
    names = []
    for entry in domain.get("actions", []):
        names.extend(entry.keys() if isinstance(entry, dict) else [entry])
    names = [name for name in names if not name.startswith("utter_")]
    return sorted({*names, *domain.get("forms", {}).keys()})


def coverage(base_url: str, senders: List[str], token: Optional[str] = None) -> Dict[str, Any]:
    """What the scripted conversations exercised, read back from the trackers."""
    custom = set(custom_action_names(base_url, token))
    params = {"token": token} if token else None
    user_turns = custom_events = form_activations = 0
    actions_seen: Dict[str, int] = {}
    for sender in senders:
        events = requests.get(f"{base_url}/conversations/{sender}/tracker", params=params, timeout=30).json()["events"]
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
