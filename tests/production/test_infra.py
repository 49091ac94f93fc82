"""PostgreSQL/Redis tests skip on a developer machine without the binaries, but fail in CI."""
from __future__ import annotations

import pytest

from tests.production import infra


def test_missing_binaries_fail_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra, "missing_binaries", lambda: ["redis-server"])
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y postgresql redis-server"):
        infra.require_binaries()


def test_missing_binaries_skip_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra, "missing_binaries", lambda: ["initdb"])
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        infra.require_binaries()

