"""Fixtures of the production tests: throwaway PostgreSQL and Redis (session-wide)."""
from __future__ import annotations

import shutil
from typing import Iterator

import pytest

from tests.production.infra import Postgres, Redis, require_binaries, start_postgres, start_redis


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
