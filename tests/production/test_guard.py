"""In-process tests of channels/guard.py: validation, masking, rate limit, static fallback."""
from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, List

import pytest
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st

from channels import guard
from channels.guard import GuardRejection, RateLimiter, inbound_from_payload, mask_pii, parse_json_body

SETTINGS = guard.load_settings(env={})
ORDER = "8123456789012345"


def _body(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _nested(depth: int) -> bytes:
    return ('{"sender":"u","message":"hi","metadata":' + '{"a":' * depth + "1" + "}" * depth + "}").encode()


@pytest.mark.parametrize(
    "raw,status,code",
    [
        (b"", 400, "empty_body"),
        (b"[1,2,3]", 400, "not_an_object"),
        (b'"just a string"', 400, "not_an_object"),
        (b"null", 400, "not_an_object"),
        (b'{"sender": "u", "message": ', 400, "malformed_json"),
        (b"\xff\xfe\xfa not utf8", 400, "invalid_utf8"),
        (_nested(200), 400, "too_deep"),
        (b"[" * 100000 + b"]" * 100000, 413, "body_too_large"),
        (b"[" * 20000, 400, "malformed_json"),
    ],
)
def test_bad_bodies_are_rejected_with_4xx(raw: bytes, status: int, code: str) -> None:
    with pytest.raises(GuardRejection) as caught:
        parse_json_body(raw, SETTINGS)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.text


@pytest.mark.parametrize(
    "payload,code",
    [
        ({"message": "你好"}, "missing_sender"),
        ({"sender": None, "message": "你好"}, "missing_sender"),
        ({"sender": ["x"], "message": "你好"}, "missing_sender"),
        ({"sender": "", "message": "你好"}, "invalid_sender"),
        ({"sender": "u" * 500, "message": "你好"}, "invalid_sender"),
        ({"sender": "u"}, "invalid_message"),
        ({"sender": "u", "message": None}, "invalid_message"),
        ({"sender": "u", "message": 42}, "invalid_message"),
        ({"sender": "u", "message": {"text": "hi"}}, "invalid_message"),
        ({"sender": "u", "message": "   \u0000\u0007 "}, "empty_message"),
        ({"sender": "u", "message": "字" * 40001}, "message_too_long"),
        ({"sender": "u", "message": "你好", "metadata": [1]}, "invalid_metadata"),
    ],
)
def test_bad_fields_are_rejected(payload: Any, code: str) -> None:
    with pytest.raises(GuardRejection) as caught:
        inbound_from_payload(payload, SETTINGS)
    assert caught.value.code == code
    assert 400 <= caught.value.status < 500


def test_too_long_answer_is_polite_and_names_the_limit() -> None:
    with pytest.raises(GuardRejection) as caught:
        inbound_from_payload({"sender": "u", "message": "a" * 40001}, SETTINGS)
    assert str(SETTINGS.max_text_chars) in caught.value.text
    assert "service@aliexpress.com" in caught.value.text


def test_control_characters_and_surrogates_are_removed_but_emoji_kept() -> None:
    inbound = inbound_from_payload(
        {"sender": "u\u0000", "message": "退\u0000款\u202e \ud800 👨\u200d👩\u200d👧 \u0007"}, SETTINGS
    )
    assert inbound.sender == "u"
    assert inbound.text == "退款  👨\u200d👩\u200d👧"
    inbound.text.encode("utf-8")


def test_html_is_passed_as_plain_text() -> None:
    inbound = inbound_from_payload({"sender": "u", "message": "<script>alert(1)</script>"}, SETTINGS)
    assert inbound.text == "<script>alert(1)</script>"


def test_metadata_strings_are_masked_too() -> None:
    inbound = inbound_from_payload(
        {"sender": "u", "message": "hi", "metadata": {"customData": {"role": "buyer", "phone": ["13812345678"]}}},
        SETTINGS,
    )
    assert inbound.metadata == {"customData": {"role": "buyer", "phone": ["138****5678"]}}


def test_integer_sender_is_accepted_as_text() -> None:
    assert inbound_from_payload({"sender": 12, "message": "hi"}, SETTINGS).sender == "12"


@pytest.mark.parametrize(
    "text,secret,masked",
    [
        ("我的手机号13812345678", "13812345678", "138****5678"),
        ("电话 +86 139-1234-5678 谢谢", "1234-5678", "139****5678"),
        ("座机010-62345678", "62345678", "010-****78"),
        ("邮箱 zhang.san@163.com 联系我", "zhang.san@163.com", "z***@163.com"),
        ("身份证号11010519491231002X", "11010519491231002X", "1101**********002X"),
        ("身份证 440308199901010012", "440308199901010012", "4403**********0012"),
        ("全角１３８１２３４５６７８", "13812345678", "138****5678"),
    ],
)
def test_pii_is_masked(text: str, secret: str, masked: str) -> None:
    result = mask_pii(text)
    assert secret not in result
    assert masked in result


@pytest.mark.parametrize(
    "order",
    [ORDER, "123456789012", "81234567890123456789", "440308199913010012", "440308199901010013", "ABC123"],
)
def test_order_numbers_are_not_masked(order: str) -> None:
    assert mask_pii(f"订单号{order}一直没发货") == f"订单号{order}一直没发货"


def test_id_card_check_digit_and_date() -> None:
    assert guard.is_id_card("11010519491231002X")
    assert guard.is_id_card("440308199901010012")
    assert not guard.is_id_card("440308199901010013")  # wrong check digit
    assert not guard.is_id_card("440308199913010012")  # month 13


def test_rate_limiter_limits_one_sender_only() -> None:
    now = [0.0]
    limiter = RateLimiter(capacity=3, per_second=1, clock=lambda: now[0])
    assert [limiter.allow("flood") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.allow("someone-else")
    assert limiter.retry_after("flood") == 1
    now[0] += 1.0
    assert limiter.allow("flood")
    assert not limiter.allow("flood")


def test_rate_limiter_forgets_oldest_senders() -> None:
    limiter = RateLimiter(capacity=1, per_second=0.001, max_senders=2, clock=lambda: 0.0)
    assert limiter.allow("a") and limiter.allow("b") and limiter.allow("c")
    assert limiter.allow("a")  # "a" was evicted, so it starts with a full bucket again


def test_environment_overrides_limits() -> None:
    tuned = guard.load_settings(env={"GUARD_RATE_CAPACITY": "2", "GUARD_REPLY_TIMEOUT": "0.5"})
    assert tuned.rate_capacity == 2 and tuned.reply_timeout_seconds == 0.5


def test_static_answer_names_human_channels_and_email() -> None:
    text = SETTINGS.text("service_unavailable")
    assert "service@aliexpress.com" in text
    assert "联系客服" in text and "Customer Service" in text
    for placeholder in ("1234567890", "abc@163.com", "wechat_id"):
        assert placeholder not in text


# --------------------------------------------------------------------------- fallback


def _run_fallback(process: Any, replies: List[str], timeout: float = 0.3) -> str:
    fast = guard.load_settings(env={"GUARD_REPLY_TIMEOUT": str(timeout)})

    async def send(text: str) -> None:
        replies.append(text)

    return asyncio.run(guard.answer_with_fallback(process, lambda: len(replies), send, fast))


def test_fallback_not_used_when_answered() -> None:
    replies: List[str] = []

    async def process() -> None:
        replies.append("您好")

    assert _run_fallback(process, replies) == "answered"
    assert replies == ["您好"]


@pytest.mark.parametrize("kind", ["silent", "error", "timeout", "action_failed", "store_failed"])
def test_fallback_sends_static_answer(kind: str) -> None:
    replies: List[str] = []

    async def process() -> None:
        if kind == "error":
            raise RuntimeError("boom")
        if kind == "timeout":
            await asyncio.sleep(2)
        if kind == "action_failed":
            try:
                raise ConnectionError("action server down")
            except ConnectionError:
                logging.getLogger("rasa.core.processor").exception(
                    "Encountered an exception while running action 'action_x'."
                )
            replies.append("some unrelated prediction")
        if kind == "store_failed":
            logging.getLogger("rasa.core.tracker_store").error(
                "Error happened when trying to retrieve conversation tracker from 'SQLTrackerStore'. "
                "Falling back to use the 'InMemoryTrackerStore'. Please investigate the following error: x."
            )
            replies.append("an answer without the conversation's context")

    assert _run_fallback(process, replies) == kind
    assert replies[-1] == SETTINGS.text("service_unavailable")


# --------------------------------------------------------------------------- properties

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+\.[A-Za-z]{2,}")


@hyp_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_gives_clean_inbound_or_4xx(text: str) -> None:
    try:
        inbound = inbound_from_payload({"sender": "u", "message": text}, SETTINGS)
    except GuardRejection as rejection:
        assert 400 <= rejection.status < 500 and rejection.text
        return
    inbound.text.encode("utf-8")  # no lone surrogates
    assert inbound.text == inbound.text.strip()
    assert not any(ord(c) < 32 and c not in "\n\t" for c in inbound.text)
    assert len(inbound.text) <= SETTINGS.max_text_chars
    assert mask_pii(inbound.text) == inbound.text  # masking is idempotent


@hyp_settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="你好我订单号的是，。 abc", max_size=20),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9._]{0,10}@[a-z0-9]{1,8}\.(com|cn|net)", fullmatch=True),
    st.integers(min_value=10 ** 11, max_value=10 ** 20 - 1).map(str),
)
def test_masking_hides_contacts_and_keeps_order_numbers(prefix: str, phone: str, email: str, order: str) -> None:
    text = f"{prefix}订单{order}，电话{phone}，邮箱{email} "
    masked = mask_pii(text)
    assert phone not in masked and email not in masked
    assert not PHONE.search(masked) and not EMAIL.search(masked)
    if not guard.is_id_card(order) and not re.fullmatch(r"(86)?1[3-9]\d{9}", order):
        assert f"订单{order}" in masked


def test_screen_text_for_messaging_apps() -> None:
    limiter = RateLimiter(capacity=1, per_second=0.001, clock=lambda: 0.0)
    first = guard.screen_text("我的手机13812345678", "wx-user", limiter, SETTINGS)
    assert first == guard.Screened("我的手机138****5678", None)
    assert guard.screen_text("再问一次", "wx-user", limiter, SETTINGS).reply == SETTINGS.text("rate_limited")
    assert guard.screen_text("x" * 40001, "other", None, SETTINGS).reply == SETTINGS.text("too_long")
    assert guard.screen_text(None, "other", None, SETTINGS).text is None


# --------------------------------------------------------------------------- messaging apps


def _dispatch_all(texts_in: List[str], on_new_message: Any) -> List[str]:
    """Feed texts from one sender through the messaging-app base channel; return what it sent."""
    from channels.common import PlatformInput

    class Dummy(PlatformInput):
        @classmethod
        def name(cls) -> str:
            return "dummy"

    channel = Dummy({})
    sent: List[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    async def run() -> None:
        for number, text in enumerate(texts_in):
            channel.dispatch(on_new_message, "wx-user", text, f"m{number}", send)
        while channel._tasks:
            await asyncio.sleep(0.01)

    asyncio.run(run())
    return sent


def test_messaging_apps_mask_before_rasa_and_fall_back_when_it_fails() -> None:
    seen: List[str] = []

    async def broken_rasa(message: Any) -> None:
        seen.append(message.text)
        raise RuntimeError("tracker store unreachable")

    sent = _dispatch_all(["电话13812345678，身份证11010519491231002X"], broken_rasa)
    assert seen == ["电话138****5678，身份证1101**********002X"]
    assert sent == [guard.default_settings().text("service_unavailable")]


def test_messaging_apps_answer_floods_and_long_texts_politely() -> None:
    async def rasa(message: Any) -> None:
        await message.output_channel.send_text_message(message.sender_id, "您好")

    settings = guard.default_settings()
    sent = _dispatch_all(["你好"] * int(settings.rate_capacity + 3), rasa)
    assert sent.count("您好") == int(settings.rate_capacity)
    assert sent.count(settings.text("rate_limited")) == 3
    assert _dispatch_all(["长" * 40001], rasa) == [settings.text("too_long")]
