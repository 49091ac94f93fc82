"""Real conversations with the support request form over REST (Rasa server + action server).

The main one is what a new user types: a description instead of a category, a spaced order
number followed by 一直, a goal left to the assistant, a duration that describes the problem, a
question in the middle, an unrealistic time, then corrections to the summary, and ends with the
request in the SQLite database the action server was pointed at via REQUEST_STORE_URL, exactly as
meant. Set FORM_TRANSCRIPT=<path> to write it as Markdown (docs/sample_form_conversation.md comes
from such a run). Assertions use the wording keys of knowledge/replies.yml, not sentences.
"""
from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from actions import knowledge
from actions.request_form.settings import PENDING_ORDER, label, say
from actions.request_form.summary import REQUEST_MESSAGE_TYPE, format_summary
from tests.support.servers import Stack, start_stack

FROZEN = "2026-11-26T10:00:00+08:00"
SENDER = "form-e2e-buyer"
ORDER = "8123456789012345"
START = "帮我整理要发给客服的问题"


@pytest.fixture(scope="module")
def form_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real servers with a frozen China clock, their own request database and a rate limit
    that lets a scripted conversation through."""
    env = {"ASSISTANT_FROZEN_TIME": FROZEN, "GUARD_RATE_CAPACITY": "200", "GUARD_RATE_PER_SECOND": "50"}
    running = start_stack(tmp_path_factory.mktemp("form-stack"), env=env, model=trained_model)
    yield running
    running.stop()


def _bubble(reply: Dict[str, Any]) -> str:
    if reply.get("custom"):
        return f"〔可复制〕{reply['custom'].get('text', '')}"
    text = reply.get("text", "")
    buttons = reply.get("buttons") or []
    if buttons:
        text += "\n" + " ".join(f"[{b['title']}]" for b in buttons)
    return text


def _blocks(replies: List[Dict[str, Any]]) -> List[str]:
    return [r["custom"]["text"] for r in replies if (r.get("custom") or {}).get("type") == REQUEST_MESSAGE_TYPE]


def _saved_rows(stack: Stack, sender: str = SENDER) -> List[Tuple[Any, ...]]:
    """The requests saved for ``sender`` in the action server's SQLite database."""
    database = stack.tracker_db.parent / "requests.db"
    if not database.exists():
        return []
    with sqlite3.connect(database) as conn:
        return conn.execute(
            "SELECT reference, sender_id, order_id, issue_category, request_goal, expected_time, summary, role "
            "FROM support_requests WHERE sender_id = ?", (sender,)
        ).fetchall()


def chat(stack: Stack, sender: str) -> Callable[..., str]:
    """Sends the messages as ``sender``, one turn each, and returns the texts of the last turn's
    replies, joined (the earlier answers walk the form to the question a test is about)."""

    def text_of(*messages: str) -> str:
        texts: List[str] = []
        for message in messages:
            texts = [r.get("text", "") for r in stack.say(sender, message)]
        return "\n".join(texts)

    return text_of


def test_form_in_natural_sentences_with_corrections_saves_what_was_meant(form_stack: Stack):
    transcript: List[Tuple[str, List[str]]] = []
    last: Dict[str, List[Dict[str, Any]]] = {}

    def say_(text: str, button: str = "", **kwargs: Any) -> str:
        replies = form_stack.say(SENDER, text, **kwargs)
        last["replies"] = replies
        transcript.append((f"（点按钮「{button}」）" if button else text, [_bubble(r) for r in replies]))
        return "\n".join(r.get("text", "") for r in replies)

    start = say_(START, metadata={"customData": {"role": "buyer"}})
    assert say("ask_order_id", example="8123456789012345", letter_example="#ABC123") in start, start

    # A description, not a category, before the order number: the nearest option is taken and
    # said in one line, and the order number is asked again.
    described = say_("收到的货是坏的")
    assert _inferred("商品质量问题", "是坏的") in described, described
    assert say("ask_order_id", example="8123456789012345", letter_example="#ABC123") in described, described

    # A spaced order number followed by 一直: read exactly, no digit gained.
    order = say_("8123 4567 8901 2345 一直没人管")
    assert say("ask_request_goal") in order, order

    # A goal left to the assistant: the default, said, and the form goes on.
    goal = say_("随便，你看着办")
    assert say("goal_default", value="请尽快处理") in goal and say("ask_expected_time") in goal, goal

    # A duration that describes the problem is not the expected time: the question stays.
    problem = say_("物流三周没更新")
    assert say("time_is_the_problem") in problem and problem.rstrip().endswith(say("ask_expected_time")), problem
    assert not _blocks(last["replies"])  # no summary yet

    # A question in the middle is answered (for this buyer: no office hours, the seller desk's are
    # not theirs) and the same slot is asked again.
    digression = say_("客服几点上班？")
    assert "随时" in digression and "18:00" not in digression, digression
    assert digression.rstrip().endswith(say("ask_expected_time")), digression

    # Within five minutes is unrealistic: the guide's expectation, then the same question.
    hurry = say_("5分钟内回复")
    assert "回复可能要几个小时甚至一天" in hurry and say("ask_expected_time") in hurry, hurry

    first_summary = "订单#8123456789012345，商品质量问题（是坏的），请尽快处理，希望3天内回复。"
    summary = say_("三天内")
    assert say("confirm", summary=first_summary) in summary, summary
    assert _blocks(last["replies"]) == [first_summary]

    # Corrections to the summary change the slot they name, are said, and the summary comes again.
    changed_goal = say_("不对，我改主意了，要退款不换货了")
    assert say("changed", values=say("value", label=label("request_goal"), value="要求退款")) in changed_goal, changed_goal
    second_summary = "订单#8123456789012345，商品质量问题（是坏的），要求退款，希望3天内回复。"
    assert say("confirm", summary=second_summary) in changed_goal, changed_goal
    changed_time = say_("时间改为两天内")
    final_summary = "订单#8123456789012345，商品质量问题（是坏的），要求退款，希望48小时内回复。"
    assert say("confirm", summary=final_summary) in changed_time, changed_time
    assert _saved_rows(form_stack) == []  # nothing saved before 确认

    done = say_("/affirm", button=say("confirm_button"))
    match = re.search(r"SR\d{8}-[0-9A-F]{6}", done)
    assert match and say("saved", reference=match.group(0), summary=final_summary) in done, done
    assert _blocks(last["replies"]) == [final_summary]
    assert "现在北京时间10:00。发给阿里小蜜" in done
    assert "催办" in done and "消费者保护中心" in done

    assert _saved_rows(form_stack) == [
        (match.group(0), SENDER, "8123456789012345", "商品质量问题", "要求退款", "PT48H", final_summary, "buyer")
    ]

    # Nothing stale: a new form starts empty and asks the first question again.
    again = say_(START)
    assert say("ask_order_id", example="8123456789012345", letter_example="#ABC123") in again, again

    target = os.environ.get("FORM_TRANSCRIPT")
    if target:
        lines = ["# 示例对话：整理并提交客服请求", "", f"（来自 `tests/e2e/test_form_conversation.py` 的一次真实运行，北京时间固定为 {FROZEN}。）", ""]
        for user, bubbles in transcript:
            lines.append(f"**用户：** {user}")
            lines.append("")
            for bubble in bubbles:
                lines.append("> **助手：** " + bubble.replace("\n", "  \n> "))
                lines.append("")
        Path(target).write_text("\n".join(lines), encoding="utf-8")


def test_order_correction_mid_form_and_a_tracking_question_as_the_goal(form_stack: Stack):
    sender = "form-e2e-correction"
    text_of = chat(form_stack, sender)

    goal = text_of(START, "/inform{\"issue_category\":\"物流问题\"}", ORDER, "帮我查一下物流到哪了")
    assert say("ask_expected_time") in goal, goal
    corrected = text_of("不对，订单号是8123456789012346")
    assert say("changed", values=say("value", label=label("order_id"), value="8123456789012346")) in corrected, corrected
    assert say("ask_expected_time") in corrected, corrected
    summary = text_of("尽快")
    assert "订单#8123456789012346，物流问题，查询物流，希望24小时内回复。" in summary, summary


def test_form_started_pre_filled_asks_only_what_is_missing(form_stack: Stack):
    """The issue's example fills order, category and goal at once and asks only for the time.

    If the NLU takes the sentence as a refund question, the answer offers the form; accepting
    the offer must still keep all three values.
    """
    sender = "form-e2e-prefilled"
    replies = form_stack.say(sender, "我的订单8123456789012345一直没收到货，想退款，帮我整理一下")
    offers = [b["payload"] for r in replies for b in r.get("buttons") or []]
    if "/start_support_request" in offers:
        replies = form_stack.say(sender, "/start_support_request")
    text = "\n".join(r.get("text", "") for r in replies)
    assert text.rstrip().endswith(say("ask_expected_time")), text
    assert say("ask_issue_category") not in text and say("ask_request_goal") not in text, text
    summary = "\n".join(r.get("text", "") for r in form_stack.say(sender, "尽快"))
    assert _summary(ORDER, "物流问题", "要求退款", "PT24H", "没收到货") in summary, summary


def test_english_and_pinyin_answers_and_a_plain_no_saves_nothing(form_stack: Stack):
    sender = "form-e2e-english"
    text_of = chat(form_stack, sender)

    category = text_of(START, "my package never arrived")
    assert _inferred("物流问题", "never arrived") in category, category
    goal = text_of("#abc123", "tuikuan")
    assert say("ask_expected_time") in goal, goal
    summary = text_of("within 3 days")
    assert say("confirm", summary="订单#ABC123，物流问题（never arrived），要求退款，希望3天内回复。") in summary, summary
    changed = text_of("改成换货")
    assert say("confirm", summary="订单#ABC123，物流问题（never arrived），补发或换货，希望3天内回复。") in changed, changed
    stopped = text_of("/deny")
    assert say("stopped") in stopped, stopped
    assert _saved_rows(form_stack, sender) == []


def test_order_question_answered_in_the_middle_of_the_form(form_stack: Stack):
    """A problem word (没声音) is a category, and asking where the order number is gets the guide's
    answer with the same question again, not an 「不像订单号」 refusal."""
    sender = "form-e2e-where-order"
    text_of = chat(form_stack, sender)

    category = text_of(START, "耳机右边没声音")
    assert _inferred("商品质量问题", "没声音") in category, category
    where = text_of("我不知道订单号在哪里")
    order = knowledge.guide()["request_form"]["order_id"]
    assert say("order_where", where=order["where"]) in where, where
    assert where.rstrip().endswith(say("ask_order_id", example=order["example"], letter_example=order["letter_example"])), where


def test_account_request_without_an_order_is_saved_with_the_urgent_channels(form_stack: Stack):
    sender = "form-e2e-account"
    text_of = chat(form_stack, sender)

    text_of(START, "账号被盗了")
    # The sentence repeats the category (被盗) and says there is no order: the goal comes next.
    assert text_of("被盗的是账号，没有单号").rstrip().endswith(say("ask_request_goal")), sender
    assert say("ask_expected_time") in text_of("我要拿回账号")
    saved = text_of("尽快", "确认")
    rows = _saved_rows(form_stack, sender)
    assert [row[2:6] for row in rows] == [("无", "账户安全", "找回账户", "PT24H")], saved
    assert knowledge.scenario("account_security")["subject_keyword"] in saved, saved
    assert knowledge.channel("email")["address"] in saved, saved


def _summary(order: str, category: str, goal: str, iso: str, words: Optional[str] = None) -> str:
    return format_summary(order_id=order, issue_category=category, request_goal=goal, expected_time=iso, issue_words=words)


def _inferred(category: str, words: str) -> str:
    """The line confirming a category read from a description, with the user's words beside it."""
    return say("inferred", value=say("category_with_words", category=category, words=words), label=label("issue_category"))


def _saved_values(stack: Stack, sender: str) -> List[Tuple[Any, ...]]:
    """order, category, goal and time of each request saved for ``sender``."""
    return [row[2:6] for row in _saved_rows(stack, sender)]


def _changed(slot: str, shown: str) -> str:
    return say("changed", values=say("value", label=label(slot), value=shown))


def test_corrections_at_any_point_in_chinese_and_english_change_what_is_saved(form_stack: Stack):
    """A goal corrected while the time is asked, the time corrected right after, then at the
    summary a goal and, in English, the deadline: each names its slot, the rest stays."""
    sender = "form-e2e-corrections-anywhere"
    text_of = chat(form_stack, sender)
    assert say("ask_expected_time") in text_of(START, "物流问题", "8123456789012345", "要退款")

    goal = text_of("不对，诉求改成换货")
    assert _changed("request_goal", "补发或换货") in goal and goal.rstrip().endswith(say("ask_expected_time")), goal
    week = text_of("期望时间改成一周之内")
    assert say("confirm", summary=_summary(ORDER, "物流问题", "补发或换货", "PT168H")) in week, week

    refund = text_of("诉求改成退款")
    assert _changed("request_goal", "要求退款") in refund, refund
    assert say("confirm", summary=_summary(ORDER, "物流问题", "要求退款", "PT168H")) in refund, refund
    deadline = text_of("change the deadline to 3 days")
    assert _changed("expected_time", "3天内") in deadline, deadline
    assert say("confirm", summary=_summary(ORDER, "物流问题", "要求退款", "PT72H")) in deadline, deadline
    replacement = text_of("change the goal to replacement")
    assert say("confirm", summary=_summary(ORDER, "物流问题", "补发或换货", "PT72H")) in replacement, replacement
    week = text_of("make it within a week")
    assert say("confirm", summary=_summary(ORDER, "物流问题", "补发或换货", "PT168H")) in week, week
    assert _saved_values(form_stack, sender) == []

    text_of("确认")
    assert _saved_values(form_stack, sender) == [(ORDER, "物流问题", "补发或换货", "PT168H")]


def test_several_fields_in_one_message_go_straight_to_the_summary(form_stack: Stack):
    """Order (spaced, followed by 一直), problem, goal and time in one message: nothing is asked
    again, and the order keeps exactly its digits."""
    sender = "form-e2e-all-at-once"
    text_of = chat(form_stack, sender)
    everything = text_of(START, "订单 8123 4567 8901 2345 一直没收到货，要退款，三天内")
    assert say("confirm", summary=_summary(ORDER, "物流问题", "要求退款", "PT72H", "没收到货")) in everything, everything
    for question in ("ask_order_id", "ask_request_goal", "ask_expected_time"):
        assert say(question, example=ORDER, letter_example="#ABC123") not in everything, everything
    text_of("确认")
    assert _saved_values(form_stack, sender) == [(ORDER, "物流问题", "要求退款", "PT72H")]


def test_skipping_every_question_but_the_problem_saves_the_defaults(form_stack: Stack):
    sender = "form-e2e-skips"
    text_of = chat(form_stack, sender)
    request_form = knowledge.guide()["request_form"]
    assert say("ask_request_goal") in text_of(START, "物流问题", "跳过")
    goal = text_of("跳过")
    assert say("goal_default", value=request_form["default_goal"]) in goal and say("ask_expected_time") in goal, goal
    summary = text_of("跳过")
    expected = _summary(PENDING_ORDER, "物流问题", request_form["default_goal"], request_form["expected_time"]["default"])
    assert say("confirm", summary=expected) in summary, summary
    text_of("确认")
    assert _saved_values(form_stack, sender) == [
        (PENDING_ORDER, "物流问题", request_form["default_goal"], request_form["expected_time"]["default"])
    ]


@pytest.mark.parametrize("typed", ["8123-4567-8901-2345一直没到", "八一二三四五六七八九零一二三四五"])
def test_order_typed_with_dashes_or_numerals_and_a_question_in_the_middle(form_stack: Stack, typed: str):
    """The order number is saved with the user's digits; a question while the time is asked is
    answered from the guide and the same question comes again."""
    sender = f"form-e2e-order-{len(typed)}"
    text_of = chat(form_stack, sender)
    digression = text_of(START, "商品质量问题", typed, "换货", "客服邮箱是多少")
    assert knowledge.channel("email")["address"] in digression, digression
    assert digression.rstrip().endswith(say("ask_expected_time")), digression
    text_of("尽快", "确认")
    assert _saved_values(form_stack, sender) == [(ORDER, "商品质量问题", "补发或换货", "PT24H")]


def test_cancelling_saves_nothing_and_the_next_form_starts_empty(form_stack: Stack):
    sender = "form-e2e-cancel"
    text_of = chat(form_stack, sender)
    text_of(START, "物流问题", "8123456789012345")
    asked = form_stack.say(sender, "不填了")
    assert [b["payload"] for r in asked for b in r.get("buttons") or []] == ["/affirm", "/deny"], asked
    assert say("stopped") in text_of("是的")
    assert _saved_values(form_stack, sender) == []
    again = text_of(START)
    assert say("ask_order_id", example=ORDER, letter_example="#ABC123") in again, again
    assert say("ask_order_id", example=ORDER, letter_example="#ABC123") in text_of("物流问题")
