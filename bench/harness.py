"""The one server harness of the tests, the benchmark and the load test.

Starts the real servers as subprocesses on 127.0.0.1 and free ports (each in its own process
group, with its own log file), times their start-up and samples their memory:
- `start_product`: the assistant exactly as the README starts it (`scripts/run.sh`);
- `start_stack`: action server + Rasa server with the product's channels and tracker store;
- `start_action_server`, `start_rasa_server`, `start_echo`: single servers.
`tests/support/servers.py` re-exports this module for the tests.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import psutil
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
RASA = str(VENV_BIN / "rasa")
# The product's Rasa server command: `rasa` with rasa_patches imported first (rasa_patches/__main__.py).
RASA_SERVER = (str(VENV_BIN / "python"), "-m", "rasa_patches")
MODEL = ROOT / "models" / "aliexpress.tar.gz"
CREDENTIALS = ROOT / "credentials.yml"
LOG_DIR = Path(tempfile.gettempdir()) / "assistant-test-logs"
# The product's tracker store (WAL on SQLite; importing it installs rasa_patches) and Rasa's own.
PRODUCT_TRACKER_STORE = "stores.tracker.ResilientSQLTrackerStore"
STOCK_TRACKER_STORE = "SQL"
# The guard limits each sender (8 messages, then 0.5/s); scripted conversations send faster.
UNLIMITED_GUARD = {"GUARD_RATE_CAPACITY": "100000", "GUARD_RATE_PER_SECOND": "100000"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss_each(pid: int) -> List[int]:
    """Resident memory in bytes of a process and of each of its descendants (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    sizes = []
    for proc in procs:
        try:
            sizes.append(proc.memory_info().rss)
        except psutil.NoSuchProcess:
            pass
    return sizes


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its descendants (0 if it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


class MemorySampler:
    """Samples the resident memory of process trees in a background thread and keeps the peaks.

    `peaks`: the whole tree; `process_peaks`: its largest single process (Rasa workers each load
    the model, so the per-process figure is the one to hold against a process's memory limit).
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._pids: Dict[str, int] = {}
        self.peaks: Dict[str, int] = {}
        self.process_peaks: Dict[str, int] = {}
        self.series: Dict[str, List[tuple]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.monotonic()

    def start(self) -> "MemorySampler":
        self._thread.start()
        return self

    def watch(self, name: str, pid: int) -> None:
        """Start sampling the tree rooted at `pid` under `name` (peak restarts at 0)."""
        with self._lock:
            self._pids[name] = pid
            self.peaks[name] = 0
            self.process_peaks[name] = 0
            self.series[name] = []

    def unwatch(self, name: str) -> None:
        with self._lock:
            self._pids.pop(name, None)

    def sample_now(self) -> None:
        """Take one sample of every watched tree."""
        with self._lock:
            watched = dict(self._pids)
        now = time.monotonic() - self._t0
        for name, pid in watched.items():
            sizes = tree_rss_each(pid)
            rss = sum(sizes)
            with self._lock:
                if name in self.peaks:
                    self.peaks[name] = max(self.peaks[name], rss)
                    self.process_peaks[name] = max(self.process_peaks[name], max(sizes, default=0))
                    self.series[name].append((now, rss))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_now()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class ServerHandle:
    """A running server process (its own process group), where it answers, how long it took."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    port: int
    start_seconds: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        """The server's output so far (for assertion messages)."""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log()[-chars:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Stop the process group (the server and anything it spawned)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """Kill at once, as a crash would."""
        self.stop(signal.SIGKILL)


def spawn(
    name: str,
    cmd: Sequence[str],
    port: int,
    env: Optional[Mapping[str, str]] = None,
    log_dir: Path = LOG_DIR,
    sampler: Optional[MemorySampler] = None,
) -> ServerHandle:
    """Start `cmd` in the project directory with the project on PYTHONPATH; log to `log_dir`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", **(env or {})}
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(cmd), cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    handle = ServerHandle(name, f"http://127.0.0.1:{port}", process, log_path, port, start_seconds=-started)
    if sampler:
        sampler.watch(name, process.pid)
    return handle


def wait_until_up(
    handle: ServerHandle, path: str, timeout: float, params: Optional[Mapping[str, str]] = None
) -> ServerHandle:
    """Poll GET `path` until it answers 200; `start_seconds` becomes spawn → ready."""
    deadline = time.monotonic() + timeout
    with requests.Session() as http:
        while time.monotonic() < deadline:
            if handle.process.poll() is not None:
                raise RuntimeError(f"{handle.name} exited early:\n{handle.log_tail()}")
            try:
                if http.get(handle.url + path, params=params, timeout=2).status_code == 200:
                    if handle.start_seconds < 0:
                        handle.start_seconds += time.perf_counter()
                    return handle
            except requests.RequestException:
                pass
            time.sleep(0.1)
    handle.stop()
    raise TimeoutError(f"{handle.name} did not answer {path} within {timeout}s:\n{handle.log_tail()}")


def start_echo(log_dir: Path = LOG_DIR, sampler: Optional[MemorySampler] = None) -> ServerHandle:
    """The floor of the benchmark: a minimal aiohttp JSON echo server with Rasa's URL shapes."""
    port = free_port()
    handle = spawn("echo", [sys.executable, "-m", "bench.echo_server", "--port", str(port)], port,
                   log_dir=log_dir, sampler=sampler)
    return wait_until_up(handle, "/status", 60)


def start_action_server(
    env: Optional[Mapping[str, str]] = None,
    port: Optional[int] = None,
    timeout: float = 120,
    name: str = "actions",
    log_dir: Path = LOG_DIR,
    sampler: Optional[MemorySampler] = None,
    wait: bool = True,
) -> ServerHandle:
    """The rasa-sdk action server serving the `actions` package.

    `wait=False` returns at once, to wait with `wait_until_up` once the Rasa server has started
    (as scripts/run.sh starts both together).
    """
    port = port or free_port()
    cmd = [RASA, "run", "actions", "--actions", "actions", "--port", str(port)]
    # As scripts/run.sh: idle connections kept longer than Rasa reuses them (15 s).
    settings = {"SANIC_HOST": "127.0.0.1", "SANIC_KEEP_ALIVE_TIMEOUT": "75"}
    handle = spawn(name, cmd, port, {**settings, **(env or {})}, log_dir, sampler)
    return wait_until_up(handle, "/health", timeout) if wait else handle


def write_endpoints(
    directory: Path,
    action_url: Optional[str],
    tracker_db: Optional[Path] = None,
    extra: Optional[Dict[str, Any]] = None,
    tracker_store: str = PRODUCT_TRACKER_STORE,
) -> Path:
    """An endpoints file in `directory`: the given action server and a SQLite tracker store."""
    config: Dict[str, Any] = {}
    if action_url:
        config["action_endpoint"] = {"url": f"{action_url}/webhook"}
    if tracker_db:
        config["tracker_store"] = {"type": tracker_store, "dialect": "sqlite", "db": str(tracker_db)}
    config.update(extra or {})
    path = Path(directory) / "endpoints.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def start_rasa_server(
    model: Path = MODEL,
    endpoints_path: Optional[Path] = None,
    credentials_path: Optional[Path] = CREDENTIALS,
    env: Optional[Mapping[str, str]] = None,
    port: Optional[int] = None,
    auth_token: Optional[str] = None,
    cors: Iterable[str] = (),
    extra_args: Iterable[str] = (),
    timeout: float = 300,
    name: str = "rasa",
    log_dir: Path = LOG_DIR,
    sampler: Optional[MemorySampler] = None,
    launcher: Sequence[str] = RASA_SERVER,
) -> ServerHandle:
    """`rasa run --enable-api` with the given model, endpoints and channels.

    `launcher` is the command that stands for `rasa` (default the product's `python -m rasa_patches`;
    the benchmark's `python -m bench.launch` for stock Rasa parts and timers).
    """
    port = port or free_port()
    cmd = [*launcher, "run", "--enable-api", "-i", "127.0.0.1", "--port", str(port), "-m", str(model)]
    if endpoints_path:
        cmd += ["--endpoints", str(endpoints_path)]
    if credentials_path:
        cmd += ["--credentials", str(credentials_path)]
    if auth_token:
        cmd += ["--auth-token", auth_token]
    cors = list(cors)
    if cors:
        cmd += ["--cors", *cors]
    cmd += list(extra_args)
    handle = spawn(name, cmd, port, env, log_dir, sampler)
    # /status answers once the model is loaded (with the token when the API has one).
    return wait_until_up(handle, "/status", timeout, {"token": auth_token} if auth_token else None)


@dataclass
class Stack:
    """An action server plus a Rasa server sharing one SQLite tracker store."""

    actions: ServerHandle
    rasa: ServerHandle
    tracker_db: Path
    endpoints: Path
    extra: List[ServerHandle] = field(default_factory=list)

    def say(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Send one message over the REST channel and return the bot's replies."""
        return rest_message(self.rasa.url, sender, text, metadata)

    def stop(self) -> None:
        for handle in [self.rasa, self.actions, *self.extra]:
            handle.stop()


def start_stack(
    directory: Path,
    env: Optional[Mapping[str, str]] = None,
    model: Path = MODEL,
    auth_token: Optional[str] = None,
) -> Stack:
    """Start action server + Rasa server (credentials.yml channels) on fresh ports in `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    env = {"REQUEST_STORE_URL": f"sqlite:///{directory / 'requests.db'}", **(env or {})}
    actions = start_action_server(env=env)
    tracker_db = directory / "tracker.db"
    endpoints = write_endpoints(directory, actions.url, tracker_db)
    try:
        rasa = start_rasa_server(model, endpoints, env=env, auth_token=auth_token)
    except Exception:
        actions.stop()
        raise
    return Stack(actions, rasa, tracker_db, endpoints)


@dataclass
class Product:
    """`scripts/run.sh` running: its process group holds the action server and the Rasa server(s)."""

    run: ServerHandle  # run.sh; answers at the Rasa server's URL
    actions: ServerHandle  # same process group, its own URL and start-up time
    token: str
    tracker_db: Path

    @property
    def url(self) -> str:
        return self.run.url

    def stop(self) -> None:
        self.run.stop(timeout=30)


def start_product(
    directory: Path,
    model: Path = MODEL,
    env: Optional[Mapping[str, str]] = None,
    workers: Optional[int] = None,
    timeout: float = 600,
    name: str = "product",
    log_dir: Path = LOG_DIR,
    sampler: Optional[MemorySampler] = None,
) -> Product:
    """The assistant as the README starts it (`scripts/run.sh`), on free ports, state in `directory`.

    run.sh is told where to put its state (tracker, request store, logs) and which model to serve;
    `workers` sets RASA_WORKERS, the Rasa processes behind the one port (None: run.sh's default).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    port, actions_port = free_port(), free_port()
    token = f"harness-{port}"
    run_env = {
        "RASA_PORT": str(port),
        "ACTIONS_PORT": str(actions_port),
        "RASA_MODEL": str(model),
        "RASA_AUTH_TOKEN": token,
        **({"RASA_WORKERS": str(workers)} if workers else {}),
        "ASSISTANT_STATE_DIR": str(directory),
        "REQUEST_STORE_URL": f"sqlite:///{directory / 'requests.db'}",
        **(env or {}),
    }
    handle = spawn(name, [str(ROOT / "scripts" / "run.sh")], port, run_env, log_dir, sampler)
    actions = ServerHandle(f"{name}-actions", f"http://127.0.0.1:{actions_port}", handle.process,
                           directory / "actions.log", actions_port, start_seconds=handle.start_seconds)
    try:
        wait_until_up(actions, "/health", timeout)  # the action server is up well before Rasa
        wait_until_up(handle, "/status", timeout, {"token": token})
    except Exception:
        handle.stop()
        raise
    return Product(handle, actions, token, directory / "tracker.db")


def rest_message(
    base_url: str, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None, timeout: float = 60
) -> List[Dict[str, Any]]:
    """POST to /webhooks/rest/webhook and return the JSON replies."""
    body: Dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    response = requests.post(f"{base_url}/webhooks/rest/webhook", json=body, timeout=timeout)
    response.raise_for_status()
    return response.json()


def reply_texts(replies: List[Dict[str, Any]]) -> str:
    """All reply texts joined, for substring assertions."""
    return "\n".join(reply.get("text", "") for reply in replies)
