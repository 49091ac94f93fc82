"""Start the real Rasa and action servers as subprocesses on 127.0.0.1 for tests.

Every server gets a free port, its own log file and is stopped by ``ServerHandle.stop()``.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
RASA = str(ROOT / ".venv" / "bin" / "rasa")
MODEL = ROOT / "models" / "aliexpress.tar.gz"
LOG_DIR = Path(tempfile.gettempdir()) / "assistant-test-logs"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerHandle:
    """A running server process and where it answers."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    port: int

    def log(self) -> str:
        """The server's output so far (for assertion messages)."""
        return self.log_path.read_text(errors="replace")

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


def _spawn(name: str, cmd: List[str], env: Optional[Mapping[str, str]], port: int) -> ServerHandle:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}-{port}.log"
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    log = open(log_path, "wb")
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return ServerHandle(name, f"http://127.0.0.1:{port}", process, log_path, port)


def _wait_until_up(handle: ServerHandle, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"{handle.name} exited early:\n{handle.log()[-4000:]}")
        try:
            if requests.get(handle.url + path, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    handle.stop()
    raise TimeoutError(f"{handle.name} did not answer within {timeout}s:\n{handle.log()[-4000:]}")


def start_action_server(
    env: Optional[Mapping[str, str]] = None, port: Optional[int] = None, timeout: float = 90
) -> ServerHandle:
    """The rasa-sdk action server serving the `actions` package."""
    port = port or free_port()
    cmd = [RASA, "run", "actions", "--actions", "actions", "--port", str(port)]
    handle = _spawn("actions", cmd, {"SANIC_HOST": "127.0.0.1", **(env or {})}, port)
    _wait_until_up(handle, "/health", timeout)
    return handle


def write_endpoints(
    directory: Path,
    action_url: Optional[str],
    tracker_db: Optional[Path] = None,
    extra: Optional[Dict[str, Any]] = None,
) -> Path:
    """An endpoints file for a test: the given action server and a SQLite tracker store."""
    config: Dict[str, Any] = {}
    if action_url:
        config["action_endpoint"] = {"url": f"{action_url}/webhook"}
    if tracker_db:
        config["tracker_store"] = {"type": "SQL", "dialect": "sqlite", "db": str(tracker_db)}
    config.update(extra or {})
    path = Path(directory) / "endpoints.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def start_rasa_server(
    model: Path = MODEL,
    endpoints_path: Optional[Path] = None,
    credentials_path: Optional[Path] = ROOT / "credentials.yml",
    env: Optional[Mapping[str, str]] = None,
    port: Optional[int] = None,
    auth_token: Optional[str] = None,
    cors: Iterable[str] = (),
    extra_args: Iterable[str] = (),
    timeout: float = 240,
) -> ServerHandle:
    """`rasa run --enable-api` with the given model, endpoints and channels."""
    port = port or free_port()
    cmd = [RASA, "run", "--enable-api", "-i", "127.0.0.1", "--port", str(port), "-m", str(model)]
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
    handle = _spawn("rasa", cmd, env, port)
    _wait_until_up(handle, "/", timeout)
    return handle


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
