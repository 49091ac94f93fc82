"""The cached action-response validator gives the same verdicts and errors as Rasa's own check."""
from __future__ import annotations

from typing import Any, Dict

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bench import speedups

VALID: Dict[str, Any] = {
    "events": [
        {"event": "slot", "name": "order_id", "value": "8123456789012345"},
        {"event": "active_loop", "name": "support_request_form"},
    ],
    "responses": [{"text": "请提供订单号", "buttons": [{"title": "跳过", "payload": "/deny"}]}],
}
INVALID = [
    {"events": [{"event": "slot"}], "responses": []},
    {"events": "not a list"},
    {"events": [], "responses": ["text instead of an object"]},
]


def original(result: Dict[str, Any]) -> bool:
    return RemoteAction("action_x", None)._validate_action_result(result)


def test_valid_response_passes_both() -> None:
    assert original(VALID) is True
    assert speedups.validate_action_result(None, VALID) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_response_raises_the_same_error(result: Dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as expected:
        original(result)
    with pytest.raises(ValidationError) as got:
        speedups.validate_action_result(None, result)
    assert got.value.message == expected.value.message
    assert list(got.value.path) == list(expected.value.path)


def test_install_replaces_rasa_method(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    speedups.install()
    assert RemoteAction._validate_action_result is speedups.validate_action_result
    with pytest.raises(ValidationError):
        RemoteAction("action_x", None)._validate_action_result(INVALID[0])
