"""Fixtures of the production tests: throwaway PostgreSQL and Redis (session-wide)."""
from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.production.cluster import Cluster
from tests.production.infra import Postgres, Redis, prod_env, require_binaries, start_postgres, start_redis
from tests.support.servers import start_action_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster on 127.0.0.1 (skipped without the binaries, failed in CI)."""
    require_binaries()
    server = start_postgres()
    yield server
    try:
        server.stop()
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """redis-server on 127.0.0.1 without persistence."""
    require_binaries()
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prod_cluster(
    trained_model: Path, postgres: Postgres, redis_server: Redis
) -> Iterator[Cluster]:
    """One action server and two Rasa servers on endpoints.prod.yml (PostgreSQL + Redis)."""
    postgres.create_database("rasa_tracker")
    postgres.create_database("requests")
    env = prod_env(postgres, redis_server, "", "rasa_tracker", "requests")
    actions = start_action_server(env={"REQUEST_STORE_URL": env["REQUEST_STORE_URL"]})
    env["ACTION_ENDPOINT_URL"] = f"{actions.url}/webhook"
    token = secrets.token_hex(16)
    cluster = Cluster(actions=actions, servers=[], token=token, env=env, model=trained_model)
    try:
        for _ in range(2):
            cluster.servers.append(cluster.start_server())
        yield cluster
    finally:
        cluster.stop()
