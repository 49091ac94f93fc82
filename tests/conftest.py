"""Shared fixtures: the trained model (trained once per run) and the real servers."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.servers import MODEL, ROOT, Stack, start_stack


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """models/aliexpress.tar.gz, trained by scripts/train.sh when missing or stale."""
    subprocess.run([str(ROOT / "scripts" / "train.sh")], cwd=ROOT, check=True)
    return MODEL


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server + Rasa server for one test module, with a fresh SQLite tracker store."""
    running = start_stack(tmp_path_factory.mktemp("stack"), model=trained_model)
    yield running
    running.stop()
