"""WeCom, Feishu and WeChat OA connectors against the real Rasa + action servers, offline.

Requests are built and signed with the platforms' published algorithms (platform_spec.py); the
replies must reach a fake platform API on 127.0.0.1 (fake_platform.py).
"""

import json
import time
import uuid
from pathlib import Path
from xml.etree import ElementTree
from typing import Any, Callable, Dict, Iterator, List, TypeVar

import pytest
import requests

from tests.channels import platform_spec as spec
from tests.channels.fake_platform import FEISHU_TOKEN as FEISHU_API_TOKEN
from tests.channels.fake_platform import OA_TOKEN as OA_API_TOKEN
from tests.channels.fake_platform import WECOM_TOKEN as WECOM_API_TOKEN
from tests.channels.fake_platform import TEST_SECRETS, FakePlatformApi, Recorded
from tests.support.servers import Stack, rest_message, start_stack

T = TypeVar("T")

SECRETS = TEST_SECRETS
WECOM_TOKEN, WECOM_KEY, WECOM_AGENT = "wecomToken", spec.random_aes_key(), "1000002"
OA_TOKEN, OA_KEY = "oaToken", spec.random_aes_key()
FEISHU_TOKEN, FEISHU_KEY = "feishu-verification-token", "feishu-encrypt-key"
GREETING = "你好"
QUIET_SECONDS = 4
STALE = 16 * 60  # signed, but older than the 15-minute retry window of WeCom and WeChat
# Feishu retries after 15 s, 5 min, 1 h and 6 h: the last retry may be 7 h 5 min after the first.
FEISHU_LAST_RETRY = 15 + 5 * 60 + 3600 + 6 * 3600
FEISHU_STALE = 9 * 3600


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakePlatformApi]:
    api = FakePlatformApi(SECRETS).start()
    yield api
    api.stop()


def platform_env(api_url: str) -> Dict[str, str]:
    """The environment that enables the three connectors against the fake API at api_url."""
    return {
        "WECOM_CORP_ID": SECRETS["wecom_corp_id"],
        "WECOM_AGENT_ID": WECOM_AGENT,
        "WECOM_SECRET": SECRETS["wecom_secret"],
        "WECOM_TOKEN": WECOM_TOKEN,
        "WECOM_ENCODING_AES_KEY": WECOM_KEY,
        "WECOM_API_BASE": api_url,
        "WECHAT_OA_APP_ID": SECRETS["oa_app_id"],
        "WECHAT_OA_APP_SECRET": SECRETS["oa_secret"],
        "WECHAT_OA_TOKEN": OA_TOKEN,
        "WECHAT_OA_ENCODING_AES_KEY": OA_KEY,
        "WECHAT_OA_API_BASE": api_url,
        "FEISHU_APP_ID": SECRETS["feishu_app_id"],
        "FEISHU_APP_SECRET": SECRETS["feishu_app_secret"],
        "FEISHU_VERIFICATION_TOKEN": FEISHU_TOKEN,
        "FEISHU_ENCRYPT_KEY": FEISHU_KEY,
        "FEISHU_API_BASE": api_url,
    }


@pytest.fixture(scope="module")
def connector_stack(
    trained_model: Path, fake_api: FakePlatformApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = platform_env(fake_api.url)
    stack = start_stack(tmp_path_factory.mktemp("connectors"), env=env, model=trained_model)
    yield stack
    stack.stop()


def wait_for(probe: Callable[[], List[T]], timeout: float = 90) -> List[T]:
    """Polls until probe returns a non-empty list."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    return probe()


def user_texts(stack: Stack, sender: str) -> List[str]:
    """The user messages Rasa's tracker holds for sender."""
    tracker = requests.get(f"{stack.rasa.url}/conversations/{sender}/tracker", timeout=30).json()
    return [e.get("text") for e in tracker.get("events", []) if e.get("event") == "user"]


def expected_first_reply(stack: Stack, text: str) -> str:
    """What the assistant answers to text on the REST channel (fresh conversation)."""
    replies = rest_message(stack.rasa.url, f"rest-{uuid.uuid4().hex}", text)
    assert replies, "the assistant gave no reply over REST"
    return replies[0]["text"]


def url(stack: Stack, channel: str) -> str:
    return f"{stack.rasa.url}/webhooks/{channel}/webhook"


# --- WeCom -------------------------------------------------------------------------------------


def wecom_post(
    stack: Stack, user: str, text: str, msg_id: str, sign: bool = True, age: int = 0
) -> requests.Response:
    inner = spec.text_xml(SECRETS["wecom_corp_id"], user, text, msg_id, WECOM_AGENT)
    encrypt = spec.wx_encrypt(WECOM_KEY, inner, SECRETS["wecom_corp_id"])
    timestamp, nonce = spec.stamp(age)
    signature = spec.wx_sign(WECOM_TOKEN, timestamp, nonce, encrypt)
    if not sign:
        signature = spec.wx_sign("not-the-token", timestamp, nonce, encrypt)
    return requests.post(
        url(stack, "wecom"),
        params={"msg_signature": signature, "timestamp": timestamp, "nonce": nonce},
        data=spec.encrypted_envelope(SECRETS["wecom_corp_id"], encrypt).encode(),
        timeout=10,
    )


def wecom_sent_to(api: FakePlatformApi, user: str) -> Callable[[], List[Recorded]]:
    return lambda: api.sent("/cgi-bin/message/send", lambda r: r.body["touser"] == user)


def test_wecom_url_verification(connector_stack: Stack) -> None:
    echo = spec.wx_encrypt(WECOM_KEY, "echo-8372615", SECRETS["wecom_corp_id"])
    timestamp, nonce = spec.stamp()
    params = {
        "msg_signature": spec.wx_sign(WECOM_TOKEN, timestamp, nonce, echo),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": echo,
    }
    answer = requests.get(url(connector_stack, "wecom"), params=params, timeout=10)
    assert answer.status_code == 200 and answer.text == "echo-8372615"

    forged = requests.get(
        url(connector_stack, "wecom"), params={**params, "msg_signature": "0" * 40}, timeout=10
    )
    assert forged.status_code == 403 and "echo-8372615" not in forged.text


def test_wecom_message_is_answered_through_the_api(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    user = f"wecom-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    answer = wecom_post(connector_stack, user, GREETING, msg_id=str(int(time.time() * 1000)))
    assert answer.status_code == 200 and answer.text == ""
    assert time.monotonic() - started < 3, "WeCom needs the acknowledgement within 5 s"

    sent = wait_for(wecom_sent_to(fake_api, user))
    assert sent, "no reply reached the WeCom message/send API"
    assert sent[0].query["access_token"] == fake_api.token(WECOM_API_TOKEN)
    assert sent[0].body["agentid"] == int(WECOM_AGENT) and sent[0].body["msgtype"] == "text"
    assert expected_first_reply(connector_stack, GREETING) in sent[0].body["text"]["content"]
    assert user_texts(connector_stack, user) == [GREETING]


def test_wecom_bad_or_missing_signature_is_refused(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    user = f"wecom-forged-{uuid.uuid4().hex[:8]}"
    assert wecom_post(connector_stack, user, GREETING, "1", sign=False).status_code == 403
    unsigned = requests.post(url(connector_stack, "wecom"), data=b"<xml/>", timeout=10)
    assert unsigned.status_code == 401
    assert wecom_post(connector_stack, user, GREETING, "2", age=STALE).status_code == 403
    time.sleep(QUIET_SECONDS)
    assert not wecom_sent_to(fake_api, user)()
    assert user_texts(connector_stack, user) == []


def test_wecom_retry_is_processed_once(connector_stack: Stack, fake_api: FakePlatformApi) -> None:
    user = f"wecom-retry-{uuid.uuid4().hex[:8]}"
    msg_id = str(int(time.time() * 1000) + 7)
    for _ in range(3):
        assert wecom_post(connector_stack, user, "人工客服", msg_id).status_code == 200
    first = wait_for(wecom_sent_to(fake_api, user))
    time.sleep(QUIET_SECONDS)
    assert user_texts(connector_stack, user) == ["人工客服"]
    assert len(wecom_sent_to(fake_api, user)()) == len(first)


def test_wecom_buttons_become_numbers_the_user_answers_with(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    user = f"wecom-buttons-{uuid.uuid4().hex[:8]}"
    greeting = rest_message(connector_stack.rasa.url, f"rest-{uuid.uuid4().hex}", GREETING)[0]
    assert greeting.get("buttons"), "the greeting offers buttons"
    wecom_post(connector_stack, user, GREETING, str(int(time.time() * 1000) + 1))
    sent = wait_for(wecom_sent_to(fake_api, user))
    content = sent[0].body["text"]["content"]
    for number, button in enumerate(greeting["buttons"], start=1):
        assert f"{number}. {button['title']}" in content

    wecom_post(connector_stack, user, "1", str(int(time.time() * 1000) + 2))
    wait_for(lambda: [t for t in user_texts(connector_stack, user) if t != GREETING])
    assert user_texts(connector_stack, user) == [GREETING, greeting["buttons"][0]["payload"]]


def test_expired_access_token_is_fetched_again(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    user = f"wecom-token-{uuid.uuid4().hex[:8]}"
    wecom_post(connector_stack, user, GREETING, str(int(time.time() * 1000) + 3))
    assert wait_for(wecom_sent_to(fake_api, user))
    fake_api.expire_tokens()
    fetched = len(fake_api.sent("/cgi-bin/gettoken", lambda r: True))

    wecom_post(connector_stack, user, "谢谢", str(int(time.time() * 1000) + 4))
    fresh = fake_api.token(WECOM_API_TOKEN)
    delivered = wait_for(
        lambda: [r for r in wecom_sent_to(fake_api, user)() if r.query["access_token"] == fresh]
    )
    assert delivered, "the reply was not retried with a new token"
    assert len(fake_api.sent("/cgi-bin/gettoken", lambda r: True)) == fetched + 1


# --- WeChat Official Account -------------------------------------------------------------------


def oa_post(
    stack: Stack,
    open_id: str,
    text: str,
    msg_id: str,
    safe: bool,
    sign: bool = True,
    age: int = 0,
) -> requests.Response:
    inner = spec.text_xml(SECRETS["oa_app_id"], open_id, text, msg_id)
    timestamp, nonce = spec.stamp(age)
    token = OA_TOKEN if sign else "forged"
    params = {
        "signature": spec.wx_sign(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": open_id,
    }
    body = inner
    if safe:
        encrypt = spec.wx_encrypt(OA_KEY, inner, SECRETS["oa_app_id"])
        params["encrypt_type"] = "aes"
        params["msg_signature"] = spec.wx_sign(token, timestamp, nonce, encrypt)
        body = spec.encrypted_envelope(SECRETS["oa_app_id"], encrypt)
    return requests.post(url(stack, "wechat_oa"), params=params, data=body.encode(), timeout=10)


def oa_sent_to(api: FakePlatformApi, open_id: str) -> Callable[[], List[Recorded]]:
    return lambda: api.sent("/cgi-bin/message/custom/send", lambda r: r.body["touser"] == open_id)


def test_wechat_oa_server_check(connector_stack: Stack) -> None:
    timestamp, nonce = spec.stamp()
    params = {
        "signature": spec.wx_sign(OA_TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": "5837291046",
    }
    answer = requests.get(url(connector_stack, "wechat_oa"), params=params, timeout=10)
    assert answer.status_code == 200 and answer.text == "5837291046"
    forged = {**params, "signature": spec.wx_sign("forged", timestamp, nonce)}
    assert requests.get(url(connector_stack, "wechat_oa"), params=forged, timeout=10).status_code == 403


def test_wechat_oa_message_is_answered_through_customer_service_api(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    open_id = f"oOA-{uuid.uuid4().hex[:10]}"
    answer = oa_post(connector_stack, open_id, GREETING, str(int(time.time() * 1000)), safe=True)
    assert answer.status_code == 200 and answer.text == "success"
    sent = wait_for(oa_sent_to(fake_api, open_id))
    assert sent, "no reply reached message/custom/send"
    assert sent[0].query["access_token"] == fake_api.token(OA_API_TOKEN)
    assert expected_first_reply(connector_stack, GREETING) in sent[0].body["text"]["content"]
    assert user_texts(connector_stack, open_id) == [GREETING]


def test_wechat_oa_plaintext_callback_is_refused_in_safe_mode(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    """With an EncodingAESKey configured, a callback signed with the Token alone is a downgrade."""
    open_id = f"oOA-plain-{uuid.uuid4().hex[:8]}"
    answer = oa_post(connector_stack, open_id, GREETING, str(int(time.time() * 1000)), safe=False)
    assert answer.status_code == 403
    time.sleep(QUIET_SECONDS)
    assert not oa_sent_to(fake_api, open_id)()
    assert user_texts(connector_stack, open_id) == []


def passive_reply(answer: requests.Response) -> Dict[str, str]:
    """The decrypted passive reply of a safe-mode callback, its signature checked."""
    outer = {child.tag: child.text or "" for child in ElementTree.fromstring(answer.text)}
    expected = spec.wx_sign(OA_TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    assert outer["MsgSignature"] == expected, "the passive reply is not signed with the Token"
    inner, app_id = spec.wx_decrypt(OA_KEY, outer["Encrypt"])
    assert app_id == SECRETS["oa_app_id"]
    return {child.tag: child.text or "" for child in ElementTree.fromstring(inner)}


@pytest.mark.parametrize("refusal", [48001, 45015], ids=["unverified-account", "silent-48h"])
def test_wechat_oa_falls_back_to_a_passive_reply(
    connector_stack: Stack, fake_api: FakePlatformApi, refusal: int
) -> None:
    open_id = f"oOA-passive-{uuid.uuid4().hex[:8]}"
    fake_api.refused_followers[open_id] = refusal
    started = time.monotonic()
    answer = oa_post(connector_stack, open_id, GREETING, str(int(time.time() * 1000)), safe=True)
    assert time.monotonic() - started < 5, "WeChat drops a callback answer after 5 s"
    assert answer.status_code == 200 and answer.text != "success"
    reply = passive_reply(answer)
    assert reply["ToUserName"] == open_id and reply["MsgType"] == "text"
    assert reply["FromUserName"] == SECRETS["oa_app_id"]
    assert expected_first_reply(connector_stack, GREETING) in reply["Content"]
    assert oa_sent_to(fake_api, open_id)(), "the customer-service API was tried first"
    assert user_texts(connector_stack, open_id) == [GREETING]


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
def test_wechat_oa_forged_signature_is_refused(
    connector_stack: Stack, fake_api: FakePlatformApi, safe: bool
) -> None:
    open_id = f"oOA-forged-{uuid.uuid4().hex[:8]}"
    answer = oa_post(connector_stack, open_id, GREETING, "42", safe, sign=False)
    assert answer.status_code == 403
    unsigned = requests.post(url(connector_stack, "wechat_oa"), data=b"<xml/>", timeout=10)
    assert unsigned.status_code == 401
    assert oa_post(connector_stack, open_id, GREETING, "43", safe, age=STALE).status_code == 403
    time.sleep(QUIET_SECONDS)
    assert not oa_sent_to(fake_api, open_id)()
    assert user_texts(connector_stack, open_id) == []


def test_wechat_oa_retry_is_processed_once(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    open_id = f"oOA-retry-{uuid.uuid4().hex[:8]}"
    msg_id = str(int(time.time() * 1000) + 11)
    for _ in range(3):  # WeChat retries three times when it gets no answer in 5 s
        assert oa_post(connector_stack, open_id, "退款", msg_id, safe=True).status_code == 200
    first = wait_for(oa_sent_to(fake_api, open_id))
    time.sleep(QUIET_SECONDS)
    assert user_texts(connector_stack, open_id) == ["退款"]
    assert len(oa_sent_to(fake_api, open_id)()) == len(first)


def test_wechat_oa_new_follower_gets_the_greeting(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    open_id = f"oOA-follow-{uuid.uuid4().hex[:8]}"
    created = str(int(time.time()))
    event = (
        f"<xml><ToUserName><![CDATA[{SECRETS['oa_app_id']}]]></ToUserName>"
        f"<FromUserName><![CDATA[{open_id}]]></FromUserName><CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>"
    )
    timestamp, nonce = spec.stamp()
    encrypt = spec.wx_encrypt(OA_KEY, event, SECRETS["oa_app_id"])
    params = {
        "signature": spec.wx_sign(OA_TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": spec.wx_sign(OA_TOKEN, timestamp, nonce, encrypt),
    }
    answer = requests.post(
        url(connector_stack, "wechat_oa"),
        params=params,
        data=spec.encrypted_envelope(SECRETS["oa_app_id"], encrypt).encode(),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.text == "success"
    sent = wait_for(oa_sent_to(fake_api, open_id))
    assert sent and expected_first_reply(connector_stack, "/greet") in sent[0].body["text"]["content"]


# --- Feishu ------------------------------------------------------------------------------------


def feishu_post(
    stack: Stack, payload: Dict[str, Any], sign: bool = True, age: int = 0
) -> requests.Response:
    body = json.dumps(
        {"encrypt": spec.feishu_encrypt(FEISHU_KEY, json.dumps(payload, ensure_ascii=False))}
    ).encode()
    headers = spec.feishu_headers(FEISHU_KEY if sign else "forged-key", body, age)
    return requests.post(url(stack, "feishu"), data=body, headers=headers, timeout=10)


def feishu_sent_to(api: FakePlatformApi, chat_id: str) -> Callable[[], List[Recorded]]:
    return lambda: api.sent("/open-apis/im/v1/messages", lambda r: r.body["receive_id"] == chat_id)


def test_feishu_url_verification(connector_stack: Stack) -> None:
    challenge = {"challenge": "ajls384kdjx98XX", "token": FEISHU_TOKEN, "type": "url_verification"}
    answer = feishu_post(connector_stack, challenge, sign=False)  # Feishu does not sign it
    assert answer.status_code == 200 and answer.json() == {"challenge": "ajls384kdjx98XX"}
    wrong = feishu_post(connector_stack, {**challenge, "token": "guess"})
    assert wrong.status_code == 403


def test_feishu_message_is_answered_through_the_api(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    open_id, chat_id = f"ou_{uuid.uuid4().hex[:10]}", f"oc_{uuid.uuid4().hex[:10]}"
    event = spec.feishu_message_event(FEISHU_TOKEN, uuid.uuid4().hex, open_id, chat_id, GREETING)
    started = time.monotonic()
    answer = feishu_post(connector_stack, event)
    assert answer.status_code == 200
    assert time.monotonic() - started < 3, "Feishu needs the acknowledgement within 3 s"

    sent = wait_for(feishu_sent_to(fake_api, chat_id))
    assert sent, "no reply reached im/v1/messages"
    assert sent[0].query["receive_id_type"] == "chat_id"
    assert sent[0].headers["authorization"] == f"Bearer {fake_api.token(FEISHU_API_TOKEN)}"
    assert sent[0].body["msg_type"] == "text"
    content = json.loads(sent[0].body["content"])["text"]
    assert expected_first_reply(connector_stack, GREETING) in content
    assert user_texts(connector_stack, open_id) == [GREETING]


def test_feishu_group_mention_is_stripped(connector_stack: Stack, fake_api: FakePlatformApi) -> None:
    open_id, chat_id = f"ou_group_{uuid.uuid4().hex[:8]}", f"oc_{uuid.uuid4().hex[:10]}"
    event = spec.feishu_message_event(
        FEISHU_TOKEN, uuid.uuid4().hex, open_id, chat_id, f"@_user_1 {GREETING}"
    )
    event["event"]["message"]["chat_type"] = "group"
    event["event"]["message"]["mentions"] = [{"key": "@_user_1", "name": "客服助手"}]
    assert feishu_post(connector_stack, event).status_code == 200
    assert wait_for(feishu_sent_to(fake_api, chat_id)), "no reply in the group chat"
    assert user_texts(connector_stack, open_id) == [GREETING]


def test_feishu_bad_signature_or_token_is_refused(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    open_id, chat_id = f"ou_forged_{uuid.uuid4().hex[:8]}", f"oc_{uuid.uuid4().hex[:10]}"
    event = spec.feishu_message_event(FEISHU_TOKEN, uuid.uuid4().hex, open_id, chat_id, GREETING)
    assert feishu_post(connector_stack, event, sign=False).status_code == 403
    body = json.dumps({"encrypt": spec.feishu_encrypt(FEISHU_KEY, json.dumps(event))}).encode()
    unsigned = requests.post(url(connector_stack, "feishu"), data=body, timeout=10)
    assert unsigned.status_code == 401
    wrong_token = spec.feishu_message_event("guess", uuid.uuid4().hex, open_id, chat_id, GREETING)
    assert feishu_post(connector_stack, wrong_token).status_code == 403
    assert feishu_post(connector_stack, event, age=FEISHU_STALE).status_code == 403
    time.sleep(QUIET_SECONDS)
    assert not feishu_sent_to(fake_api, chat_id)()
    assert user_texts(connector_stack, open_id) == []


def test_feishu_retry_is_processed_once(connector_stack: Stack, fake_api: FakePlatformApi) -> None:
    open_id, chat_id = f"ou_retry_{uuid.uuid4().hex[:8]}", f"oc_{uuid.uuid4().hex[:10]}"
    event = spec.feishu_message_event(FEISHU_TOKEN, uuid.uuid4().hex, open_id, chat_id, "转人工")
    for _ in range(3):
        assert feishu_post(connector_stack, event).status_code == 200
    first = wait_for(feishu_sent_to(fake_api, chat_id))
    time.sleep(QUIET_SECONDS)
    assert user_texts(connector_stack, open_id) == ["转人工"]
    assert len(feishu_sent_to(fake_api, chat_id)()) == len(first)


def test_feishu_last_retry_is_accepted_and_answered_once(
    connector_stack: Stack, fake_api: FakePlatformApi
) -> None:
    """A retry signed 7 h after the first push is still accepted, and still recognised."""
    open_id, chat_id = f"ou_late_{uuid.uuid4().hex[:8]}", f"oc_{uuid.uuid4().hex[:10]}"
    event = spec.feishu_message_event(FEISHU_TOKEN, uuid.uuid4().hex, open_id, chat_id, "转人工")
    assert feishu_post(connector_stack, event, age=FEISHU_LAST_RETRY + 60).status_code == 200
    first = wait_for(feishu_sent_to(fake_api, chat_id))
    assert first, "a callback signed 7 h ago was not answered"
    assert feishu_post(connector_stack, event).status_code == 200
    time.sleep(QUIET_SECONDS)
    assert user_texts(connector_stack, open_id) == ["转人工"]
    assert len(feishu_sent_to(fake_api, chat_id)()) == len(first)
