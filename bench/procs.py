"""Server processes for the benchmark: spawn on 127.0.0.1, time start-up, sample peak memory."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident memory in bytes of a process and all its descendants (0 if it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class MemorySampler:
    """Samples the resident memory of process trees in a background thread and keeps the peak."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._pids: Dict[str, int] = {}
        self.peaks: Dict[str, int] = {}
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
            rss = tree_rss(pid)
            with self._lock:
                if name in self.peaks:
                    self.peaks[name] = max(self.peaks[name], rss)
                    self.series[name].append((now, rss))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_now()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class Server:
    """A running server subprocess (its own process group) and how long it took to answer."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    start_seconds: float = 0.0
    extra: Dict[str, float] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 20) -> None:
        """Terminate the process group, then kill it if it does not exit in time."""
        if self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def spawn(
    name: str,
    cmd: List[str],
    port: int,
    ready_path: str,
    log_dir: Path,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 300,
    sampler: Optional[MemorySampler] = None,
) -> Server:
    """Start `cmd` and wait until GET `ready_path` answers 200; start_seconds is spawn → ready."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SANIC_HOST": "127.0.0.1",  # the action server binds 0.0.0.0 otherwise
        "RASA_TELEMETRY_ENABLED": "false",
        **(env or {}),
    }
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    if sampler:
        sampler.watch(name, process.pid)
    deadline = started + timeout
    with requests.Session() as http:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{server.log_tail()}")
            try:
                if http.get(server.url + ready_path, timeout=2).status_code == 200:
                    server.start_seconds = time.perf_counter() - started
                    return server
            except requests.RequestException:
                pass
            time.sleep(0.05)
    server.stop()
    raise TimeoutError(f"{name} did not answer {ready_path} within {timeout}s:\n{server.log_tail()}")


def start_echo(log_dir: Path, sampler: MemorySampler) -> Server:
    """The floor: a minimal aiohttp JSON echo server."""
    port = free_port()
    cmd = [sys.executable, "-m", "bench.echo_server", "--port", str(port)]
    return spawn("echo", cmd, port, "/status", log_dir, sampler=sampler, timeout=60)


def start_actions(
    name: str, log_dir: Path, sampler: MemorySampler, env: Optional[Mapping[str, str]] = None
) -> Server:
    """The rasa-sdk action server serving the project's `actions` package."""
    port = free_port()
    cmd = [RASA, "run", "actions", "--actions", "actions", "--port", str(port)]
    return spawn(name, cmd, port, "/health", log_dir, env=env, sampler=sampler, timeout=180)


def start_rasa(
    name: str,
    model: Path,
    endpoints: Path,
    credentials: Path,
    log_dir: Path,
    sampler: MemorySampler,
    env: Optional[Mapping[str, str]] = None,
    launcher: Sequence[str] = (RASA,),
) -> Server:
    """`rasa run --enable-api` bound to 127.0.0.1; ready when /status reports the loaded model.

    `launcher` is the command that stands for `rasa` (e.g. `python -m bench.speedups`).
    """
    port = free_port()
    cmd = [
        *launcher, "run", "--enable-api", "-i", "127.0.0.1", "--port", str(port), "-m", str(model),
        "--endpoints", str(endpoints), "--credentials", str(credentials),
    ]
    return spawn(name, cmd, port, "/status", log_dir, env=env, sampler=sampler, timeout=300)
