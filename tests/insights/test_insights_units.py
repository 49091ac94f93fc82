"""Pieces of the report that need no running assistant: period, masking, candidates file, CLI errors."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from rasa.core.actions.two_stage_fallback import TwoStageFallbackAction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Restarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data

from insights import cli
from insights.candidates import PLACEHOLDER_INTENT, render_candidates, select_candidates
from insights.masking import mask_personal_data
from insights.metrics import THREE_STRIKES_HANDOFF, TWO_STAGE_FALLBACK, Message, summarize
from insights.period import Period, china_time
from insights.sources import Conversation


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def test_period_is_whole_china_days() -> None:
    period = Period(date(2026, 11, 26), date(2026, 11, 26))
    assert not period.contains_timestamp(utc(2026, 11, 25, 15, 59, 59))  # 11-25 23:59:59 in China
    assert period.contains_timestamp(utc(2026, 11, 25, 16, 0, 0))  # 11-26 00:00 in China
    assert period.contains_timestamp(utc(2026, 11, 26, 15, 59, 59))
    assert not period.contains_timestamp(utc(2026, 11, 26, 16, 0, 0))
    assert china_time(utc(2026, 11, 25, 16, 30)).strftime("%Y-%m-%d %H") == "2026-11-26 00"
    assert Period(date(2026, 11, 1), date(2026, 11, 30)).days()[-1] == date(2026, 11, 30)
    with pytest.raises(ValueError):
        Period(date(2026, 11, 2), date(2026, 11, 1))


def test_masking_is_the_channels_guard() -> None:
    from channels.guard import mask_pii

    assert mask_personal_data is mask_pii


def test_three_strikes_action_is_the_hygiene_policys() -> None:
    from policies.hygiene_policy import ConversationHygienePolicy

    assert ConversationHygienePolicy.get_default_config()["offer_human_action"] == THREE_STRIKES_HANDOFF


def _user(text: str, intent: str, confidence: float, guess: str = "refund", guess_conf: float = 0.3) -> dict:
    return {
        "event": "user",
        "timestamp": utc(2026, 11, 26, 2, 0),
        "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [
                {"name": intent, "confidence": confidence},
                {"name": guess, "confidence": guess_conf},
            ],
        },
    }


def test_candidates_file_loads_in_rasa_and_masks_personal_data(tmp_path: Path) -> None:
    events = [
        _user("钱退到哪里了 手机13812345678", "nlu_fallback", 0.5),
        _user("钱退到哪里了 手机13812345678", "nlu_fallback", 0.5),
        _user("发邮件给 wang.li@example.com 行吗", "email_support", 0.55, "email_support", 0.55),
        _user("看 [这个](链接) 吧", "nlu_fallback", 0.5, "contact_seller", 0.2),
        _user("你好", "greet", 0.98),
        _user("/affirm", "affirm", 0.2),
        _user("😀😀", "nlu_fallback", 0.5),
    ]
    messages = [Message.from_event(event) for event in events]
    candidates = select_candidates(messages, threshold=0.7)
    period = Period(date(2026, 11, 26), date(2026, 11, 26))
    path = tmp_path / "nlu_candidates.yml"
    path.write_text(render_candidates(candidates, period, 0.7), encoding="utf-8")

    data = load_data(str(path), language="zh")
    examples = {m.get("text"): m.get("intent") for m in data.intent_examples}
    assert set(examples.values()) == {PLACEHOLDER_INTENT}
    assert set(examples) == {"钱退到哪里了 手机138****5678", "发邮件给 w***@example.com 行吗", "看 [这个] (链接) 吧"}
    assert not data.entity_examples  # "[这个](链接)" must not become an entity annotation
    assert [c.count for c in candidates][0] == 2
    text = path.read_text(encoding="utf-8")
    assert "13812345678" not in text and "wang.li@" not in text


def test_empty_candidates_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "nlu_candidates.yml"
    path.write_text(render_candidates([], Period(date(2026, 11, 1), date(2026, 11, 30)), 0.7), encoding="utf-8")
    assert load_data(str(path), language="zh").intent_examples == []


def test_cli_refuses_a_store_that_keeps_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:1/webhook\n")
    code = cli.main(["--since", "2026-11-01", "--until", "2026-11-30", "--endpoints", str(endpoints),
                     "--out", str(tmp_path / "out")])
    assert code == 2
    assert "tracker_store" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_missing_endpoints_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["--since", "2026-11-01", "--until", "2026-11-30", "--endpoints", str(tmp_path / "nope.yml"),
                     "--out", str(tmp_path / "out")])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_cli_refuses_a_backwards_period(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["--since", "2026-11-30", "--until", "2026-11-01", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "before" in capsys.readouterr().err


def _sent(text: str, intent: str, message_id: str, minute: int) -> UserUttered:
    """A message as a channel delivers it (each one gets its own message_id)."""
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.4 if intent == "nlu_fallback" else 0.9},
        timestamp=utc(2026, 11, 26, 2, minute),
        message_id=message_id,
    )


def test_reverted_and_clarified_turns_count_each_sent_message_once() -> None:
    """Two-stage fallback re-adds the clarified message after a rewind; rewinds don't unsend."""
    fallback_turn = [
        ActionExecuted(ACTION_LISTEN_NAME),
        _sent("xqzv bnmkp", "nlu_fallback", "m1", 0),
        ActionExecuted(TWO_STAGE_FALLBACK),
        ActiveLoop(TWO_STAGE_FALLBACK),
        BotUttered("您是想问「退款」吗？"),
        ActionExecuted(ACTION_LISTEN_NAME),
        _sent("/refund", "refund", "m2", 1),  # the user presses the suggested intent's button
    ]
    tracker = DialogueStateTracker.from_events("u1", fallback_turn)
    # Rasa's own events for a clarified fallback: rewind, action_listen, a copy of the message.
    clarified = asyncio.run(TwoStageFallbackAction().deactivate(None, None, tracker, Domain.empty(), []))
    assert [type(e) for e in clarified] == [UserUtteranceReverted, ActionExecuted, UserUttered]
    later = [
        ActionExecuted("utter_refund"),
        ActionExecuted(ACTION_LISTEN_NAME),
        _sent("/back", "back", "m3", 2),
        UserUtteranceReverted(),
        UserUtteranceReverted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        _sent("你好", "greet", "m4", 3),
        ActionExecuted("utter_greet"),
        ActionReverted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        _sent("/restart", "restart", "m5", 4),
        Restarted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        _sent("谢谢", "thank", "m6", 5),
    ]
    events = [e.as_dict() for e in [*fallback_turn, ActionExecuted(TWO_STAGE_FALLBACK), ActiveLoop(None),
                                     *clarified, *later]]
    assert sum(e["event"] == "user" for e in events) == 7
    conversation = Conversation("u1", events)
    assert [e["message_id"] for e in conversation.user_events] == ["m1", "m2", "m3", "m4", "m5", "m6"]

    day = date(2026, 11, 26)
    summary = summarize([conversation], [], Period(day, day), low_confidence=0.7)
    assert summary["totals"]["user_messages"] == 6
    assert summary["intents"] == {
        "back": 1, "greet": 1, "nlu_fallback": 1, "refund": 1, "restart": 1, "thank": 1
    }
    assert summary["fallback"]["messages"] == 1 and summary["fallback"]["rate"] == round(1 / 6, 4)
    # Each message at the time it was sent (the copy's fresh timestamp is not a message).
    assert {k: v["messages"] for k, v in summary["per_day"].items()} == {"2026-11-26": 6}
    assert {k: v["messages"] for k, v in summary["per_hour"].items() if v["messages"]} == {"10": 6}
    assert summary["two_stage_fallback"]["conversations"] == 1


def test_messages_without_an_id_are_not_merged() -> None:
    events = [_user("你好", "greet", 0.9), _user("你好", "greet", 0.9)]
    assert len(Conversation("u2", events).user_events) == 2
