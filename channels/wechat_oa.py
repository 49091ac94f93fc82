"""WeChat Official Account (微信公众号) channel, plain mode and safe (AES) mode.

Server URL: /webhooks/wechat_oa/webhook. GET answers the server check (signature + echostr), POST
receives XML messages (encrypted when `encrypt_type=aes`; with an EncodingAESKey configured nothing
else is accepted) and answers through the customer-service message API
`cgi-bin/message/custom/send`.

That API needs a verified service account and a user who wrote within 48 h. The callback is held
open for the first seconds of the 5 s WeChat waits for it: replies the API refuses in that time go
back as the callback's passive reply instead; otherwise the callback is acknowledged with "success".
"""

import asyncio
import logging
import secrets
import time
from typing import Callable, Dict, List, Optional, Text, Tuple

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import (
    OnNewMessage,
    PlatformApiError,
    PlatformInput,
    split_utf8,
    xml_fields,
)
from channels.guard import ReplyGate
from channels.platform_crypto import CryptoError, same, wx_decrypt, wx_encrypt, wx_signature
from channels.shared_state import SharedState
from channels.wx_api import WxApi

logger = logging.getLogger(__name__)

# A new follower gets the greeting, as the web widget's initPayload does.
SUBSCRIBE_PAYLOAD = "/greet"
# WeChat drops a callback answer after 5 s (and retries); a passive reply must be out before that.
PASSIVE_WINDOW_SECONDS = 4.0
# How long a refusal of the customer-service API makes the static answer go out passively when
# the assistant is too slow for the window (an account gets verified, a user writes again).
REFUSAL_MEMORY_SECONDS = 3600
# Text limit of one message (customer-service API and passive reply), in UTF-8 bytes.
MAX_TEXT_BYTES = 2048


def _cdata(text: Text) -> Text:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_text_xml(to_user: Text, from_user: Text, content: Text) -> Text:
    """A passive text reply (被动回复用户消息) to the user who wrote."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


class PassiveReply:
    """Replies the customer-service API refused while the callback can still carry them."""

    def __init__(self) -> None:
        self.open = True
        self.texts: List[Text] = []

    def content(self) -> Text:
        """The kept replies as the one text a passive reply may hold (cut at the byte limit)."""
        joined = "\n\n".join(self.texts)
        pieces = split_utf8(joined, MAX_TEXT_BYTES)
        if len(pieces) > 1:
            logger.warning("wechat_oa.passive_reply_cut: %d bytes dropped", len(joined.encode()) - MAX_TEXT_BYTES)
        return pieces[0]


class WeChatOAApi(WxApi):
    """The Official Account API (https://api.weixin.qq.com by default)."""

    def __init__(
        self, base_url: Text, state: Callable[[], SharedState], app_id: Text, secret: Text
    ) -> None:
        super().__init__(base_url, state)
        self.app_id = app_id
        self.secret = secret

    @property
    def token_key(self) -> Text:
        """The account's access token: each new one invalidates the last, so it is shared."""
        return f"wechat_oa:{self.app_id}"

    async def _fetch_token(self, session: aiohttp.ClientSession) -> Tuple[Text, float]:
        answer = await self._request_json(
            session,
            "GET",
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self.secret,
            },
        )
        return answer["access_token"], float(answer.get("expires_in", 7200))

    async def send_text(self, open_id: Text, text: Text) -> None:
        """Sends a customer-service text message to a follower."""
        body = {"touser": open_id, "msgtype": "text", "text": {"content": text}}
        await self.call_with_token(
            "POST",
            "/cgi-bin/message/custom/send",
            lambda token: {"params": {"access_token": token}, "json": body},
        )


class WeChatOAInput(PlatformInput):
    """WeChat Official Account server configuration (开发 → 基本配置)."""

    REQUIRED_ENV = {
        "app_id": "WECHAT_OA_APP_ID",
        "secret": "WECHAT_OA_APP_SECRET",
        "token": "WECHAT_OA_TOKEN",
    }
    OPTIONAL_ENV = {
        "aes_key": "WECHAT_OA_ENCODING_AES_KEY",
        "api_base": "WECHAT_OA_API_BASE",
    }
    DEFAULTS = {"api_base": "https://api.weixin.qq.com"}
    MAX_TEXT_BYTES = MAX_TEXT_BYTES

    @classmethod
    def name(cls) -> Text:
        """Route prefix: /webhooks/wechat_oa/."""
        return "wechat_oa"

    def _check(self, request: Request, key: Text, extra: Tuple[Text, ...]) -> Optional[int]:
        """None when the signature in query argument `key` verifies, else the error status."""
        given, timestamp, nonce = (
            request.args.get(name) for name in (key, "timestamp", "nonce")
        )
        if not (given and timestamp and nonce):
            return 401
        expected = wx_signature([self.settings["token"], timestamp, nonce, *extra])
        return None if same(expected, given) else 403

    def _message(self, request: Request) -> Tuple[Optional[Dict[Text, Text]], int]:
        """The verified (and decrypted) message, or None and the error status."""
        status = self._check(request, "signature", ())
        if status:
            return None, status
        if not self.is_fresh(request.args.get("timestamp")):
            return None, 403
        fields = xml_fields(request.body)
        if fields is None:
            return None, 400
        safe_mode = "aes_key" in self.settings
        if request.args.get("encrypt_type") != "aes":
            # With an EncodingAESKey the account is in safe (or compatible) mode: WeChat encrypts
            # every message, so a plaintext one signed with the Token alone is a downgrade.
            return (None, 403) if safe_mode else (fields, 200)
        if not safe_mode:
            return None, 403
        encrypted = fields.get("Encrypt", "")
        status = self._check(request, "msg_signature", (encrypted,))
        if status or not encrypted:
            return None, status or 401
        try:
            plain = wx_decrypt(self.settings["aes_key"], encrypted, self.settings["app_id"])
        except CryptoError:
            return None, 403
        return xml_fields(plain.encode("utf-8")), 200

    def routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        """GET: server check; POST: messages."""
        api = WeChatOAApi(
            self.settings["api_base"],
            lambda: self.state,
            self.settings["app_id"],
            self.settings["secret"],
        )

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            status = self._check(request, "signature", ())
            if status:
                return response.text("forbidden", status=status)
            return response.text(request.args.get("echostr", ""))

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            message, status = self._message(request)
            if status != 200:
                return response.text("forbidden", status=status)
            if not message:
                return response.text("success")
            encrypted = request.args.get("encrypt_type") == "aes"
            return await self._respond(message, encrypted, api, on_new_message)

    async def _respond(
        self,
        message: Dict[Text, Text],
        encrypted: bool,
        api: WeChatOAApi,
        on_new_message: OnNewMessage,
    ) -> HTTPResponse:
        """Answers the callback: "success", or the passive reply the customer-service API refused.

        When the assistant is still busy at the end of the window and that API refused this
        follower recently, the static answer goes back passively and replaces the late answer.
        """
        open_id = message.get("FromUserName", "")
        passive, gate = PassiveReply(), ReplyGate()
        task = await self._accept(message, api, on_new_message, passive, gate)
        if task is not None:
            await asyncio.wait({task}, timeout=PASSIVE_WINDOW_SECONDS)
            if not (task.done() or gate.sent) and await self.state.get(self._refused_key(open_id)):
                gate.closed = True
                passive.texts.append(self.guard.text("service_unavailable"))
        passive.open = False
        if not passive.texts:
            return response.text("success")
        reply = passive_text_xml(open_id, message.get("ToUserName", ""), passive.content())
        if encrypted:
            reply = self._encrypted(reply)
        return response.text(reply, content_type="application/xml")

    def _refused_key(self, open_id: Text) -> Text:
        return f"{self.name()}:refused:{open_id}"

    def _encrypted(self, reply: Text) -> Text:
        """A passive reply in safe mode: encrypted and signed with the Token."""
        encrypt = wx_encrypt(self.settings["aes_key"], reply, self.settings["app_id"])
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        signature = wx_signature([self.settings["token"], timestamp, nonce, encrypt])
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )

    async def _accept(
        self,
        message: Dict[Text, Text],
        api: WeChatOAApi,
        on_new_message: OnNewMessage,
        passive: PassiveReply,
        gate: ReplyGate,
    ) -> "Optional[asyncio.Task[None]]":
        open_id = message.get("FromUserName", "")
        key = message.get("MsgId") or f"{open_id}:{message.get('CreateTime', '')}"
        if message.get("MsgType") == "text":
            text = message.get("Content", "")
        elif message.get("MsgType") == "event" and message.get("Event") == "subscribe":
            text = SUBSCRIBE_PAYLOAD
        else:
            return None
        if not open_id or not await self.is_first_delivery(key):
            return None

        async def send(reply: Text) -> None:
            try:
                await api.send_text(open_id, reply)
                await self.state.pop(self._refused_key(open_id))
            except (PlatformApiError, aiohttp.ClientError, asyncio.TimeoutError) as error:
                # e.g. 48001 (account not verified), 45015 (user silent for 48 h), 45047 (too
                # many messages): the callback's own answer is the only way left.
                await self.state.set(self._refused_key(open_id), True, REFUSAL_MEMORY_SECONDS)
                if not passive.open:
                    raise
                logger.warning("wechat_oa.passive_fallback: %s", error)
                passive.texts.append(reply)

        metadata = {"platform": "wechat_oa"}
        return self.dispatch(on_new_message, open_id, text, key, send, metadata, gate)
