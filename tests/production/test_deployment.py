"""Deployment files: docker-compose.yml, Dockerfile, nginx and the container entry point.

No Docker engine is needed: the compose file is checked against endpoints.prod.yml (same
variables), and the entry point is run with RASA_BIN=echo to see the command it would start.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Dict, List, Set

import yaml

from tests.support.servers import ROOT

ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"


def _compose() -> Dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _prod_variables() -> Set[str]:
    """The ${VAR}s used by the values of endpoints.prod.yml."""
    config = yaml.safe_load((ROOT / "endpoints.prod.yml").read_text(encoding="utf-8"))
    values = [str(v) for section in config.values() for v in section.values()]
    return {name for value in values for name in re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", value)}


def _services_running(command: str) -> List[Dict]:
    return [s for s in _compose()["services"].values() if s.get("command") == [command]]


def test_compose_runs_two_rasa_servers_actions_postgres_redis() -> None:
    services = _compose()["services"]
    assert len(_services_running("rasa")) >= 2
    assert len(_services_running("actions")) == 1
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_compose_sets_exactly_the_variables_of_endpoints_prod() -> None:
    wanted = _prod_variables()
    assert {"ACTION_ENDPOINT_URL", "TRACKER_DB_HOST", "TRACKER_DB_PASSWORD", "LOCK_STORE_HOST"} <= wanted
    prefixes = tuple({name.split("_")[0] + "_" for name in wanted})
    for service in _services_running("rasa"):
        environment = service["environment"]
        assert wanted <= set(environment), wanted - set(environment)
        assert {k for k in environment if k.startswith(prefixes)} == wanted
    assert environment["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert environment["TRACKER_DB_HOST"] == "postgres" and environment["LOCK_STORE_HOST"] == "redis"


def test_request_store_is_postgres_in_compose() -> None:
    for service in _services_running("actions"):
        assert service["environment"]["REQUEST_STORE_URL"].startswith("postgresql://")


def test_compose_holds_no_literal_secrets() -> None:
    for name, service in _compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN|AES_KEY|ENCRYPT_KEY", key):
                assert str(value).startswith("${"), (name, key, value)


def test_nginx_balances_every_rasa_service() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    rasa_names = [n for n, s in _compose()["services"].items() if s.get("command") == ["rasa"]]
    assert sorted(re.findall(r"server (\S+):5005", conf)) == sorted(rasa_names)


def test_dockerfile_copies_existing_paths_and_uses_entrypoint() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for line in re.findall(r"^COPY (.+)$", text, flags=re.M):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in text


def _entrypoint(args: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RASA_")}
    return subprocess.run(
        [str(ENTRYPOINT), *args], env={**clean, "RASA_BIN": "echo", **env},
        capture_output=True, text=True, timeout=30,
    )


def test_entrypoint_refuses_to_start_the_api_without_a_token() -> None:
    result = _entrypoint(["rasa"], {})
    assert result.returncode != 0
    assert "RASA_AUTH_TOKEN" in result.stderr


def test_entrypoint_starts_rasa_with_token_cors_and_prod_endpoints() -> None:
    result = _entrypoint(["rasa"], {"RASA_AUTH_TOKEN": "t0k", "RASA_CORS_ORIGINS": "https://a.example https://b.example"})
    assert result.returncode == 0, result.stderr
    command = result.stdout.split()
    assert command[:4] == ["run", "--enable-api", "--auth-token", "t0k"]
    cors = command.index("--cors")
    assert command[cors + 1: cors + 3] == ["https://a.example", "https://b.example"]
    assert command[command.index("--endpoints") + 1] == "endpoints.prod.yml"
    without_cors = _entrypoint(["rasa"], {"RASA_AUTH_TOKEN": "t0k"})
    assert "--cors" not in without_cors.stdout.split()


def test_entrypoint_starts_the_action_server() -> None:
    result = _entrypoint(["actions"], {})
    assert result.stdout.split() == ["run", "actions", "--actions", "actions", "--port", "5055"]


def test_production_doc_names_every_variable() -> None:
    doc = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")
    for name in _prod_variables() | {"REQUEST_STORE_URL", "RASA_AUTH_TOKEN", "RASA_CORS_ORIGINS"}:
        assert name in doc, name
    assert Path(ROOT / "endpoints.prod.yml").exists()


def test_helm_values_use_the_image_entrypoint_and_the_same_variables() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "helm-values.yml").read_text(encoding="utf-8"))
    assert values["command"] == ["/app/deploy/entrypoint.sh"] and values["args"] == ["rasa"]
    assert values["replicaCount"] >= 2
    env = {item["name"]: item for item in values["extraEnv"]}
    assert _prod_variables() | {"RASA_AUTH_TOKEN"} <= set(env)
    for name, item in env.items():
        if re.search(r"PASSWORD|TOKEN", name):
            assert "secretKeyRef" in item["valueFrom"], name
