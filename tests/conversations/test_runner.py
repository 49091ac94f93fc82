"""The checker of the persona conversation set: it passes a good transcript and fails bad ones.

The transcripts are canned bot replies in the REST webhook's JSON shape, so these tests run
without servers; the set itself runs against the real servers in tests/e2e/test_conversations.py.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from tests.conversations.runner import (
    CONVERSATIONS_DIR,
    FormatError,
    check_turn,
    load_all,
    load_file,
    run_conversation,
)

ROOT = Path(__file__).resolve().parents[2]

CONVERSATION = {
    "persona": "follow_up_asker",
    "defaults": {"must_not": ["您是想问"]},
    "conversations": [
        {
            "id": "hours-then-night",
            "clock": "22:30",
            "metadata": {"customData": {"role": "buyer"}},
            "turns": [
                {"user": "人工客服怎么找", "must": [["阿里小蜜", "AliExpress Assistant"], ["人工客服"]],
                 "buttons": [["我是卖家", "seller"]]},
                {"press": "我是卖家", "must": ["sell.aliexpress.com"], "not_repeat": True},
                {"user": "晚上呢", "must": [{"re": "22[:：]30"}], "not_repeat": True, "max_chars": 60},
                {"user": "How long?", "lang": "en", "must": [["hours"]]},
            ],
        }
    ],
}

GOOD_REPLIES = {
    "人工客服怎么找": [
        {"text": "打开阿里小蜜，输入「人工客服」即可转人工。", "buttons": [{"title": "我是卖家", "payload": '/inform{"role":"seller"}'}]},
    ],
    '/inform{"role":"seller"}': [{"text": "卖家请用专属通道：https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"}],
    "晚上呢": [{"text": "现在北京时间22:30，卖家客服明天9:00上班。"}],
    "How long?": [{"text": "Replies can take a few hours, sometimes a day."}],
}


def write(tmp_path: Path, data: Dict[str, Any]) -> Path:
    path = tmp_path / "set.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def load_file_from(data: Dict[str, Any]):
    with tempfile.TemporaryDirectory() as tmp:
        return load_file(write(Path(tmp), data))


def scripted(replies: Dict[str, List[Dict[str, Any]]]):
    sent: List[tuple] = []

    def say(sender: str, text: str, metadata: Any) -> List[Dict[str, Any]]:
        sent.append((sender, text, metadata))
        return replies.get(text, [])

    return say, sent


def test_a_good_transcript_passes_and_presses_the_offered_button(tmp_path: Path) -> None:
    [conversation] = load_file(write(tmp_path, CONVERSATION))
    say, sent = scripted(GOOD_REPLIES)
    result = run_conversation(conversation, say)
    assert result.fully_helped, result.explain()
    assert [text for _, text, _ in sent] == ["人工客服怎么找", '/inform{"role":"seller"}', "晚上呢", "How long?"]
    assert len({sender for sender, _, _ in sent}) == 1
    assert all(metadata == {"customData": {"role": "buyer"}} for _, _, metadata in sent)
    assert conversation.frozen_time == "2026-11-26T22:30:00+08:00"


def test_a_bad_transcript_fails_every_kind_of_check(tmp_path: Path) -> None:
    [conversation] = load_file(write(tmp_path, CONVERSATION))
    bad = {
        # The role is asked instead of answered, and no switch button.
        "人工客服怎么找": [{"text": "您是想问「客服工作时间」吗？"}],
        # 我是卖家 was not offered, so it is typed; the answer repeats the previous bubble.
        "我是卖家": [{"text": "您是想问「客服工作时间」吗？"}],
        # Too long, no time, and the guide's placeholder contact.
        "晚上呢": [{"text": "可以打电话 1234567890 或发邮件 abc@163.com。" + "很长" * 40}],
        # Chinese for an English question.
        "How long?": [{"text": "回复可能要几个小时甚至一天 hours"}],
    }
    say, _ = scripted(bad)
    result = run_conversation(conversation, say)
    assert not result.fully_helped
    lines = result.failure_lines()
    explained = result.explain()

    def failed(turn: int, pattern: str) -> bool:
        return any(line.startswith(f"turn {turn} ") and re.search(pattern, line) for line in lines)

    assert failed(1, r"must: none of \[阿里小蜜 \| AliExpress Assistant\]")
    assert failed(1, r"must_not: 您是想问")
    assert failed(1, r"buttons: no button \[我是卖家 \| seller\]")
    assert failed(2, r"press: no button")
    assert failed(2, r"not_repeat")
    assert failed(3, r"placeholder")
    assert failed(3, r"characters \(max 60\)")
    assert failed(3, r"must: none of \[/22\[:：\]30/\]")
    assert failed(4, r"lang: reply is not mostly English")
    assert "晚上呢" in explained and "1234567890" in explained and "China time 2026-11-26T22:30:00+08:00" in explained


def test_no_reply_fails_and_order_numbers_are_not_taken_for_placeholders() -> None:
    [conversation] = load_file_from({"persona": "p", "conversations": [{"id": "x", "turns": [{"user": "a"}]}]})
    turn = conversation.turns[0]
    assert check_turn(turn, []) == ["no_reply: the bot sent nothing"]
    assert check_turn(turn, [{"text": "订单#8123456789012345，物流问题"}]) == []
    assert any("placeholder" in failure for failure in check_turn(turn, [{"text": "QQ 123456789"}]))
    assert any("placeholder" in failure for failure in check_turn(turn, [{"text": "ok", "buttons": [{"title": "wechat_id", "payload": "/x"}]}]))
    # The default bubble limit applies to every turn, and a custom message is a bubble too.
    assert any("max 300" in failure for failure in check_turn(turn, [{"custom": {"type": "support_request", "text": "字" * 301}}]))


def test_file_defaults_apply_to_every_turn_once() -> None:
    [conversation] = load_file_from(
        {
            "persona": "p",
            "defaults": {"must_not": ["再见"], "not_repeat": True, "max_chars": 50},
            "conversations": [{"id": "x", "turns": [{"user": "a", "must_not": ["再见", "卖家中心"]}, {"user": "b", "not_repeat": False}]}],
        }
    )
    first, second = conversation.turns
    assert [str(a) for a in first.must_not] == ["再见", "卖家中心"]
    assert first.not_repeat and not second.not_repeat and first.max_chars == second.max_chars == 50
    assert check_turn(first, [{"text": "好的，再见"}]) == ["must_not: 再见"]


def test_max_and_min_buttons() -> None:
    [conversation] = load_file_from(
        {"persona": "p", "conversations": [{"id": "x", "turns": [{"user": "a", "max_buttons": 1}, {"user": "b", "min_buttons": 3}]}]}
    )
    two = [{"text": "ok", "buttons": [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}]}]
    assert any("max_buttons" in failure for failure in check_turn(conversation.turns[0], two))
    assert any("min_buttons" in failure for failure in check_turn(conversation.turns[1], two))


@pytest.mark.parametrize(
    "broken",
    [
        {"persona": "p", "conversations": [{"id": "x", "turns": [{"user": "a", "mustnt": ["x"]}]}]},
        {"persona": "p", "conversations": [{"id": "x", "turns": [{"press": "a"}]}]},
        {"persona": "p", "conversations": [{"id": "x", "turns": [{"user": "a", "must": [{"re": "("}]}]}]},
        {"persona": "p", "conversations": [{"id": "x", "turns": []}]},
        {"conversations": [{"id": "x", "turns": [{"user": "a"}]}]},
        {"persona": "p", "conversations": [{"id": "x", "metadata": {"role": "seller"}, "turns": [{"user": "a"}]}]},
    ],
)
def test_a_malformed_file_is_refused_at_load_time(broken: Dict[str, Any]) -> None:
    with pytest.raises(FormatError):
        load_file_from(broken)


# --- the set itself ---------------------------------------------------------------------------

def test_the_set_has_at_least_80_multi_turn_conversations_with_checks() -> None:
    conversations = load_all(CONVERSATIONS_DIR)
    assert len(conversations) >= 80
    multi_turn = [c for c in conversations if len(c.turns) >= 2]
    assert len(multi_turn) >= 0.8 * len(conversations)
    for conversation in conversations:
        for number, turn in enumerate(conversation.turns, 1):
            checks = turn.must or turn.must_not or turn.buttons or turn.lang or turn.min_buttons or turn.max_buttons is not None
            assert checks, f"{conversation.id} turn {number} checks nothing beyond the defaults"


def _training_texts() -> set:
    texts = set()
    for path in list((ROOT / "data").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("nlu", []) or []:
            for line in str(entry.get("examples", "")).splitlines():
                texts.add(line.lstrip("- ").strip())
        for story in (data.get("stories", []) or []) + (data.get("rules", []) or []):
            for step in story.get("steps", []) or []:
                if isinstance(step, dict) and "user" in step:
                    texts.add(str(step["user"]).strip())
    return {re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", text) for text in texts}


def _messages_in(directory: Path, seen: set) -> List[tuple]:
    """(conversation id, message) of every user message of the set in `seen`; short replies such as 好的 are common to all."""
    return [
        (conversation.id, turn.user)
        for conversation in load_all(directory)
        for turn in conversation.turns
        if turn.user and len(turn.user) >= 6 and turn.user.strip() in seen
    ]


def test_no_user_message_of_the_set_is_training_data() -> None:
    """The set measures conversations the model has not seen: none of its messages is in data/."""
    reused = _messages_in(CONVERSATIONS_DIR, _training_texts())
    assert not reused, f"conversation messages found in the training data: {reused}"


HELD_BACK_SETS = sorted(path for path in (ROOT / "eval").glob("conversations_*") if path.is_dir())


@pytest.mark.parametrize("held_back", HELD_BACK_SETS, ids=lambda path: path.name)
def test_no_user_message_of_a_held_back_set_is_trained_or_tested_on(held_back: Path) -> None:
    """A held-back set measures a new user only while its messages are in neither data/ nor the CI set."""
    ci_messages = {turn.user.strip() for conversation in load_all(CONVERSATIONS_DIR) for turn in conversation.turns if turn.user}
    reused = _messages_in(held_back, _training_texts() | ci_messages)
    assert not reused, f"held-back messages found in data/ or tests/conversations: {reused}"
