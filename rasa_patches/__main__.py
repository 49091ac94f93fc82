"""`python -m rasa_patches ARGS`: the `rasa` command for the product's Rasa server.

The same as `rasa ARGS`, with this package imported first (skops before TensorFlow, see
`rasa_patches/__init__.py`) and its patches installed. scripts/run.sh, scripts/shell.sh, the
container entry point and the test and benchmark harness start the Rasa server this way;
scripts/train.sh, the Dockerfile and the benchmark train this way.
"""
from __future__ import annotations

import sys

import rasa_patches


def main() -> None:
    rasa_patches.install()
    sys.argv = ["rasa", *sys.argv[1:]]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
