"""`python -m bench.launch MODE <rasa arguments>`: `rasa` with the action-response check chosen.

MODE `--stock-validation`: Rasa's own per-response `jsonschema.validate()` (the "before" of the
action_validation knob). The product's tracker store installs rasa_patches when it is imported;
this imports it first and puts Rasa's method back, so the later import changes nothing.
MODE `--patched`: rasa_patches installed although the endpoints use Rasa's own tracker store
(the "before" of the tracker_wal knob, which changes the store only).
MODE `--stages FILE`: the product's Rasa server with per-stage timers written to FILE (bench/stages.py).
"""
from __future__ import annotations

import sys

import rasa_patches


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "--stock-validation":
        from rasa.core.actions.action import RemoteAction

        import stores.tracker  # noqa: F401  (installs the patch, undone next)

        RemoteAction._validate_action_result = rasa_patches.rasa_validate_action_result  # type: ignore[method-assign]
    elif mode == "--patched":
        rasa_patches.install()
    elif mode == "--stages":
        import stores.tracker  # noqa: F401  (installs the patch first, so the timer wraps it)
        from bench import stages

        stages.install(args[0])
        args = args[1:]
    else:
        raise SystemExit(f"unknown mode {mode!r}: --stock-validation, --patched or --stages FILE")
    sys.argv = ["rasa", *args]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
