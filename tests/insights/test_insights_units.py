"""Pieces of the report that need no running assistant: period, masking, candidates file, CLI errors."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from insights import cli
from insights.candidates import PLACEHOLDER_INTENT, render_candidates, select_candidates
from insights.masking import mask_personal_data
from insights.metrics import THREE_STRIKES_HANDOFF, Message
from insights.period import Period, china_time


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
