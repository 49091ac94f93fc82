"""The endpoints of one machine: endpoints.yml with this run's action port and state directory.

`scripts/run.sh` and `scripts/shell.sh` write them to `<state>/endpoints.yml`. With more than
one Rasa process (RASA_WORKERS > 1) the processes share the SQLite tracker store and a SQLite
lock store (stores/lock.py) in the same directory.

    python -m stores.local STATE_DIR ACTIONS_PORT WORKERS   (prints the file's path)
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict

import yaml

ROOT = Path(__file__).resolve().parents[1]


def local_endpoints(state_dir: Path, actions_port: int, workers: int) -> Dict[str, Any]:
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    config["tracker_store"]["db"] = str(state_dir / "tracker.db")
    if workers > 1:
        config["lock_store"] = {"type": "stores.lock.SQLiteLockStore", "db": str(state_dir / "locks.db")}
    return config


def main(state_dir: str, actions_port: str, workers: str) -> None:
    directory = Path(state_dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "endpoints.yml"
    path.write_text(yaml.safe_dump(local_endpoints(directory, int(actions_port), int(workers)), allow_unicode=True))
    print(path)


if __name__ == "__main__":
    main(*sys.argv[1:])
