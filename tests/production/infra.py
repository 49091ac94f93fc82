"""Throwaway PostgreSQL and Redis servers for the production tests (Debian packages).

PostgreSQL: ``initdb`` into a temporary directory (as the ``postgres`` user when run as
root), password authentication, listening on 127.0.0.1 on a free port. Redis:
``redis-server`` on 127.0.0.1, a free port, no persistence. Both are stopped by the
fixtures that start them.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from tests.support.servers import free_port

APT_PACKAGES = "postgresql redis-server"


def _pg_bin(name: str) -> Optional[str]:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def missing_binaries() -> List[str]:
    """Names of the server programs this machine lacks."""
    wanted = {"initdb": _pg_bin("initdb"), "pg_ctl": _pg_bin("pg_ctl"), "redis-server": shutil.which("redis-server")}
    return [name for name, path in wanted.items() if not path]


def require_binaries() -> None:
    """Skip without PostgreSQL/Redis on a developer machine; fail in CI (CI=true)."""
    missing = missing_binaries()
    if not missing:
        return
    message = f"missing {', '.join(missing)}: apt-get install -y {APT_PACKAGES}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Postgres:
    """A PostgreSQL cluster in a temporary directory."""

    directory: Path
    port: int
    user: str = "postgres"
    password: str = "test-only-password"

    @property
    def _as_postgres(self) -> List[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self._as_postgres, _pg_bin("pg_ctl"), "-D", str(self.directory / "data"), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=60,
        )

    def init(self) -> None:
        """Create the cluster with password authentication."""
        pwfile = self.directory / "pw"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        subprocess.run(
            [*self._as_postgres, _pg_bin("initdb"), "-D", str(self.directory / "data"), "-U", self.user,
             f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=120,
        )

    def start(self) -> None:
        """Start (or restart after ``stop``) on the same port."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.directory / "server.log"), "-w", "start")
        _wait_for_port(self.port)

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as in a database restart."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> None:
        """CREATE DATABASE ``name`` (idempotent)."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if not cur.fetchone():
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database``."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"


def start_postgres() -> Postgres:
    """Initialise and start a throwaway cluster."""
    directory = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    os.chmod(directory, 0o755)
    postgres = Postgres(directory, free_port())
    postgres.init()
    postgres.start()
    return postgres


@dataclass
class Redis:
    """A redis-server process without persistence."""

    process: subprocess.Popen
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def start_redis() -> Redis:
    """Start redis-server on 127.0.0.1 and a free port."""
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )
    _wait_for_port(port)
    return Redis(process, port)


def prod_env(postgres: Postgres, redis: Redis, action_url: str, tracker_db: str, requests_db: str) -> Dict[str, str]:
    """The environment endpoints.prod.yml reads, pointing at these servers."""
    return {
        "ACTION_ENDPOINT_URL": f"{action_url}/webhook",
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": str(postgres.port),
        "TRACKER_DB_NAME": tracker_db,
        "TRACKER_DB_USER": postgres.user,
        "TRACKER_DB_PASSWORD": postgres.password,
        "LOCK_STORE_HOST": "127.0.0.1",
        "LOCK_STORE_PORT": str(redis.port),
        "LOCK_STORE_DB": "0",
        "LOCK_STORE_PASSWORD": "",
        "REQUEST_STORE_URL": postgres.url(requests_db),
    }
