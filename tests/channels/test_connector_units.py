"""In-process checks of the connectors' shared state, message splitting and timeout path.

The shared state runs against a real redis-server (tests/production/infra.py); the platform API
is the fake of fake_platform.py, built from the platforms' published protocol.
"""

import asyncio
import dataclasses
from typing import Any, Iterator, List

import pytest
from hypothesis import given, settings, strategies as st

from channels.common import PlatformInput, split_utf8
from channels.feishu import FeishuInput
from channels import guard
from channels.guard import default_settings
from channels.shared_state import MemoryState, RedisState, SharedState, for_lock_store
from channels.wecom import WeComApi, WeComInput
from channels import wechat_oa
from channels.wechat_oa import WeChatOAApi, WeChatOAInput
from tests.channels import platform_spec as spec
from tests.channels.fake_platform import OA_TOKEN, TEST_SECRETS, WECOM_TEXT_BYTES, FakePlatformApi
from tests.production.infra import Redis, require_binaries, start_redis

SECRETS = TEST_SECRETS
# Feishu retries an unacknowledged event 15 s, 5 min, 1 h and 6 h after the previous attempt.
FEISHU_RETRY_DELAYS = [15, 5 * 60, 3600, 6 * 3600]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Redis]:
    require_binaries()
    server = start_redis()
    yield server
    server.stop()


def replica_states(redis_server: Redis, prefix: str) -> List[RedisState]:
    """The state of two replicas connected to the same Redis."""
    import redis.asyncio

    return [RedisState(redis.asyncio.Redis(port=redis_server.port), prefix) for _ in range(2)]


@pytest.fixture()
def fake_api() -> Iterator[FakePlatformApi]:
    api = FakePlatformApi(SECRETS).start()
    yield api
    api.stop()


class Dummy(PlatformInput):
    @classmethod
    def name(cls) -> str:
        return "dummy"


# --- shared state ------------------------------------------------------------------------------


def test_redis_state_is_shared_between_replicas(redis_server: Redis) -> None:
    async def run() -> None:
        a, b = replica_states(redis_server, "test-shared:")
        assert await a.add_if_new("seen:m1", 60)
        assert not await b.add_if_new("seen:m1", 60), "a retry on the other replica is seen"
        await a.set("buttons:u", [{"title": "退款", "payload": "/refund"}], 60)
        assert await b.pop("buttons:u") == [{"title": "退款", "payload": "/refund"}]
        assert await a.pop("buttons:u") is None, "a button list is used once"
        await a.set("token:x", "new", 60)
        await b.delete_if("token:x", "old")
        assert await a.get("token:x") == "new", "a stale token never removes a fresh one"
        await b.delete_if("token:x", "new")
        assert await a.get("token:x") is None

        order: List[str] = []

        async def hold(state: SharedState, name: str) -> None:
            async with state.lock("token:x"):
                order.append(f"{name} in")
                await asyncio.sleep(0.2)
                order.append(f"{name} out")

        await asyncio.gather(hold(a, "a"), hold(b, "b"))
        assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])

    asyncio.run(run())


def test_feishu_event_ids_are_kept_for_the_whole_retry_schedule() -> None:
    now = [0.0]
    channel = FeishuInput({})
    channel.state = MemoryState(clock=lambda: now[0])

    async def run() -> List[bool]:
        seen = [await channel.is_first_delivery("ev-1")]
        for delay in FEISHU_RETRY_DELAYS:
            now[0] += delay
            seen.append(await channel.is_first_delivery("ev-1"))
        return seen

    assert asyncio.run(run()) == [True, False, False, False, False]
    assert channel.RETRY_WINDOW_SECONDS >= sum(FEISHU_RETRY_DELAYS)


def test_one_token_fetch_serves_both_replicas(redis_server: Redis, fake_api: FakePlatformApi) -> None:
    async def run() -> None:
        states = replica_states(redis_server, "test-token:")
        replicas = [
            WeChatOAApi(fake_api.url, lambda s=s: s, SECRETS["oa_app_id"], SECRETS["oa_secret"])
            for s in states
        ]
        await asyncio.gather(
            *(replicas[n % 2].send_text(f"oUser{n}", "您好") for n in range(6))
        )

    asyncio.run(run())
    assert len(fake_api.sent("/cgi-bin/token", lambda r: True)) == 1
    tokens = {r.query["access_token"] for r in fake_api.sent("/cgi-bin/message/custom/send", lambda r: True)}
    assert tokens == {fake_api.token(OA_TOKEN)}


# --- WeCom: long replies -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=3000), st.integers(min_value=4, max_value=2048))
def test_split_keeps_every_character_under_the_byte_limit(text: str, limit: int) -> None:
    pieces = split_utf8(text, limit)
    assert "".join(pieces) == text
    assert all(len(piece.encode("utf-8")) <= limit for piece in pieces)
    assert all(pieces) or pieces == [""]


def test_wecom_long_reply_reaches_the_member_whole(fake_api: FakePlatformApi) -> None:
    lines = [f"第{n}步：打开「我的订单」→ 找到订单 → 联系客服 😀" for n in range(1, 120)]
    long_reply = "\n".join(lines)
    assert len(long_reply.encode("utf-8")) > 3 * WECOM_TEXT_BYTES
    channel = WeComInput({})
    api = WeComApi(fake_api.url, lambda: channel.state, SECRETS["wecom_corp_id"], SECRETS["wecom_secret"], "1000002")

    async def rasa(message: Any) -> None:
        await message.output_channel.send_text_message(message.sender_id, long_reply)

    async def run() -> None:
        task = channel.dispatch(rasa, "zhangsan", "流程", "m1", lambda text: api.send_text("zhangsan", text))
        await task

    asyncio.run(run())
    assert "".join(fake_api.delivered("zhangsan")) == long_reply
    assert len(fake_api.delivered("zhangsan")) >= 4


# --- the timeout path --------------------------------------------------------------------------


def _answers(answer_after: float) -> List[str]:
    """What the user receives when the assistant answers after answer_after seconds."""
    channel = Dummy({})
    channel.guard = dataclasses.replace(default_settings(), reply_timeout_seconds=0.2, late_reply_seconds=1.0)
    sent: List[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    async def slow_rasa(message: Any) -> None:
        await asyncio.sleep(answer_after)
        await message.output_channel.send_text_message(message.sender_id, "真正的回答")

    async def run() -> None:
        channel.dispatch(slow_rasa, "u", "你好", "m1", send)
        await asyncio.sleep(answer_after + 0.5)

    asyncio.run(run())
    return sent


def test_late_answer_is_delivered_instead_of_the_static_one() -> None:
    assert _answers(0.6) == ["真正的回答"]


def test_answer_later_than_the_limit_is_replaced_by_the_static_one_only() -> None:
    assert _answers(1.6) == [default_settings().text("service_unavailable")]


def test_socket_io_gives_one_answer_on_the_timeout_path() -> None:
    from channels.guarded import _CountingSocketIOOutput

    class RecordingSio:
        def __init__(self) -> None:
            self.emitted: List[Any] = []

        async def emit(self, event: str, data: Any, room: Any = None) -> None:
            self.emitted.append(data)

    static = default_settings().text("service_unavailable")
    quick = dataclasses.replace(default_settings(), late_reply_seconds=0.3)

    def answers(answer_after: float) -> List[str]:
        sio = RecordingSio()
        output = _CountingSocketIOOutput(sio, "bot_uttered")

        async def slow_rasa() -> None:
            await asyncio.sleep(answer_after)
            await output.send_text_message("session", "真正的回答")

        async def run() -> None:
            await guard.answer_with_fallback(
                slow_rasa, lambda: output.sent, lambda t: output.send_static("session", t), quick, output.gate
            )
            await asyncio.sleep(answer_after + 0.2)

        asyncio.run(run())
        return [data["text"] for data in sio.emitted]

    assert answers(0.1) == ["真正的回答"]
    assert answers(0.6) == [static]


# --- WeChat OA safe mode -----------------------------------------------------------------------


def _oa_callback(safe: bool, aes_key: str) -> Any:
    """A signed text callback as WeChat sends it (plain, or encrypted with aes_key)."""
    from types import SimpleNamespace

    inner = spec.text_xml(SECRETS["oa_app_id"], "oUser", "你好", "1")
    timestamp, nonce = spec.stamp()
    args = {"signature": spec.wx_sign("oaToken", timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    body = inner
    if safe:
        encrypt = spec.wx_encrypt(aes_key, inner, SECRETS["oa_app_id"])
        args.update(encrypt_type="aes", msg_signature=spec.wx_sign("oaToken", timestamp, nonce, encrypt))
        body = spec.encrypted_envelope(SECRETS["oa_app_id"], encrypt)
    return SimpleNamespace(args=args, body=body.encode())


@pytest.mark.parametrize(
    "configured_key,safe_callback,accepted",
    [(False, False, True), (True, True, True), (True, False, False), (False, True, False)],
    ids=["plain-mode", "safe-mode", "downgrade-refused", "cipher-without-key-refused"],
)
def test_wechat_oa_takes_plaintext_only_without_an_aes_key(
    configured_key: bool, safe_callback: bool, accepted: bool
) -> None:
    aes_key = spec.random_aes_key()
    settings = {"app_id": SECRETS["oa_app_id"], "secret": "s", "token": "oaToken"}
    if configured_key:
        settings["aes_key"] = aes_key
    message, status = WeChatOAInput(settings)._message(_oa_callback(safe_callback, aes_key))
    if accepted:
        assert status == 200 and message["Content"] == "你好"
    else:
        assert status == 403 and message is None


def test_wechat_oa_static_answer_goes_out_passively_when_the_api_refuses_and_rasa_is_slow(
    fake_api: FakePlatformApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wechat_oa, "PASSIVE_WINDOW_SECONDS", 0.3)
    channel = WeChatOAInput({"app_id": SECRETS["oa_app_id"], "secret": "s", "token": "t"})
    api = WeChatOAApi(fake_api.url, lambda: channel.state, SECRETS["oa_app_id"], SECRETS["oa_secret"])
    refused, reachable = "oRefused", "oReachable"
    fake_api.refused_followers[refused] = 48001

    def rasa_answering_after(seconds: float) -> Any:
        async def rasa(message: Any) -> None:
            await asyncio.sleep(seconds)
            await message.output_channel.send_text_message(message.sender_id, f"回答{message.text}")

        return rasa

    async def callback(open_id: str, text: str, delay: float) -> str:
        message = {"FromUserName": open_id, "ToUserName": "gh_oa", "MsgType": "text", "Content": text, "MsgId": text + open_id}
        answer = await channel._respond(message, False, api, rasa_answering_after(delay))
        return answer.body.decode()

    def tried() -> List[str]:
        return [r.body["text"]["content"] for r in fake_api.sent("/cgi-bin/message/custom/send", lambda r: True)]

    async def run() -> None:
        assert "回答一" in await callback(refused, "一", 0.0), "a quick answer goes back passively"
        static = await callback(refused, "二", 1.0)
        assert default_settings().text("service_unavailable") in static
        assert await callback(reachable, "三", 1.0) == "success"
        await asyncio.sleep(1.5)
        assert "回答三" in tried(), "a late answer still goes out through the API"
        assert "回答二" not in tried(), "the late answer was replaced by the static one, not sent after it"

    asyncio.run(run())


def test_state_follows_the_lock_store(redis_server: Redis) -> None:
    from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

    assert isinstance(for_lock_store(InMemoryLockStore()), MemoryState)
    lock_store = RedisLockStore(port=redis_server.port, db=0, key_prefix="aliexpress")
    state = for_lock_store(lock_store)
    assert isinstance(state, RedisState)

    async def run() -> None:
        assert await state.add_if_new("wecom:seen:42", 60)

    asyncio.run(run())
    keys = [key.decode() for key in lock_store.red.keys("*seen:42")]
    assert keys == ["aliexpress:channels:wecom:seen:42"], "shared keys stay out of the lock namespace"
