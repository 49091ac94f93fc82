"""Fixtures of the production tests: throwaway PostgreSQL and Redis (session-wide)."""
from __future__ import annotations

import base64
import os
import secrets
import shutil
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.production.cluster import ALLOWED_ORIGIN, RATE_CAPACITY, Cluster, Edge, running_cluster
from tests.production.infra import Postgres, Redis, require_binaries, start_postgres, start_redis
from tests.support.servers import free_port, start_action_server, start_rasa_server, write_endpoints


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
    with running_cluster(trained_model, postgres, redis_server, "rasa_tracker", "requests") as cluster:
        yield cluster


def _platform_env(dead_api: str) -> Dict[str, str]:
    """Test secrets that enable every messaging-app channel; their APIs point at nothing."""
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    return {
        "WECOM_CORP_ID": "wwtest", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "s",
        "WECOM_TOKEN": "t", "WECOM_ENCODING_AES_KEY": aes_key, "WECOM_API_BASE": dead_api,
        "FEISHU_APP_ID": "cli_test", "FEISHU_APP_SECRET": "s", "FEISHU_VERIFICATION_TOKEN": "v",
        "FEISHU_ENCRYPT_KEY": "k", "FEISHU_API_BASE": dead_api,
        "WECHAT_OA_APP_ID": "wxtest", "WECHAT_OA_APP_SECRET": "s", "WECHAT_OA_TOKEN": "t",
        "WECHAT_OA_API_BASE": dead_api,
    }


@pytest.fixture(scope="session")
def edge(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """Action server + Rasa server as run.sh runs it: auth token, CORS for one origin, guard."""
    directory = tmp_path_factory.mktemp("edge")
    env = {
        "REQUEST_STORE_URL": f"sqlite:///{directory / 'requests.db'}",
        "GUARD_RATE_CAPACITY": str(RATE_CAPACITY),
        "GUARD_RATE_PER_SECOND": "0.2",
        **_platform_env(f"http://127.0.0.1:{free_port()}"),
    }
    actions = start_action_server(env=env)
    tracker_db = directory / "tracker.db"
    endpoints = write_endpoints(directory, actions.url, tracker_db)
    token = secrets.token_hex(16)
    try:
        rasa = start_rasa_server(trained_model, endpoints, env=env, auth_token=token, cors=[ALLOWED_ORIGIN])
    except Exception:
        actions.stop()
        raise
    yield Edge(rasa, actions, token, tracker_db)
    rasa.stop()
    actions.stop()
