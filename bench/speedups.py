"""A Rasa speed-up found by profiling the REST round trip (measured by the benchmark, proposed for the product).

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate()` on every action-server
response. That call re-validates Rasa's large events schema against the JSON-Schema meta-schema and
builds a new validator each time (tens of ms per custom action on this machine). `install()` swaps in
the same check with one validator built once: same schema, same `best_match` error, same message.

`python -m bench.speedups <rasa arguments>` runs the `rasa` CLI with the speed-up installed.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for


@lru_cache(maxsize=1)
def action_response_validator() -> Validator:
    """Validator for Rasa's action-server response schema, checked and built once."""
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Drop-in for RemoteAction._validate_action_result with a cached validator."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Use the cached validator for every remote action of this process."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def main() -> None:
    install()
    sys.argv = ["rasa", *sys.argv[1:]]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
