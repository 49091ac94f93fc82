"""WeCom (企业微信) self-built app channel.

Callback URL: /webhooks/wecom/webhook. GET answers the URL verification (decrypted echostr), POST
receives encrypted XML messages, acknowledges with an empty 200 and answers through
`message/send` with an access token from `gettoken`.
"""

from typing import Any, Callable, Dict, Text, Tuple

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import OnNewMessage, PlatformInput, xml_fields
from channels.platform_crypto import CryptoError, same, wx_decrypt, wx_signature
from channels.shared_state import SharedState
from channels.wx_api import WxApi


class WeComApi(WxApi):
    """The WeCom server API (https://qyapi.weixin.qq.com by default)."""

    def __init__(
        self,
        base_url: Text,
        state: Callable[[], SharedState],
        corp_id: Text,
        secret: Text,
        agent_id: Text,
    ) -> None:
        super().__init__(base_url, state)
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id

    @property
    def token_key(self) -> Text:
        """One token per corp and app (each app has its own secret)."""
        return f"wecom:{self.corp_id}:{self.agent_id}"

    async def _fetch_token(self, session: aiohttp.ClientSession) -> Tuple[Text, float]:
        answer = await self._request_json(
            session,
            "GET",
            "/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )
        return answer["access_token"], float(answer.get("expires_in", 7200))

    async def send_text(self, user_id: Text, text: Text) -> None:
        """Sends a text message to one member through the app."""
        body = {
            "touser": user_id,
            "msgtype": "text",
            "agentid": int(self.agent_id),
            "text": {"content": text},
        }
        await self.call_with_token(
            "POST",
            "/cgi-bin/message/send",
            lambda token: {"params": {"access_token": token}, "json": body},
        )


class WeComInput(PlatformInput):
    """WeCom self-built app callback."""

    REQUIRED_ENV = {
        "corp_id": "WECOM_CORP_ID",
        "agent_id": "WECOM_AGENT_ID",
        "secret": "WECOM_SECRET",
        "token": "WECOM_TOKEN",
        "aes_key": "WECOM_ENCODING_AES_KEY",
    }
    OPTIONAL_ENV = {"api_base": "WECOM_API_BASE"}
    DEFAULTS = {"api_base": "https://qyapi.weixin.qq.com"}
    # WeCom cuts a text message after 2,048 bytes; longer replies go out as several messages.
    MAX_TEXT_BYTES = 2048

    @classmethod
    def name(cls) -> Text:
        """Route prefix: /webhooks/wecom/."""
        return "wecom"

    def _verified(self, request: Request, encrypted: Text) -> Tuple[bool, int]:
        args = {key: request.args.get(key) for key in ("msg_signature", "timestamp", "nonce")}
        if not all(args.values()):
            return False, 401
        expected = wx_signature(
            [self.settings["token"], args["timestamp"], args["nonce"], encrypted]
        )
        return same(expected, args["msg_signature"]), 403

    def _decrypt(self, encrypted: Text) -> Text:
        return wx_decrypt(self.settings["aes_key"], encrypted, self.settings["corp_id"])

    def routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        """GET: URL verification; POST: encrypted messages."""
        api = WeComApi(
            self.settings["api_base"],
            lambda: self.state,
            self.settings["corp_id"],
            self.settings["secret"],
            self.settings["agent_id"],
        )

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            echostr = request.args.get("echostr", "")
            ok, status = self._verified(request, echostr)
            if not ok or not echostr:
                return response.text("forbidden", status=status)
            try:
                return response.text(self._decrypt(echostr))
            except CryptoError:
                return response.text("forbidden", status=403)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            envelope = xml_fields(request.body) or {}
            encrypted = envelope.get("Encrypt", "")
            ok, status = self._verified(request, encrypted)
            if not ok or not encrypted:
                return response.text("forbidden", status=status)
            if not self.is_fresh(request.args.get("timestamp")):
                return response.text("stale request", status=403)
            try:
                message = xml_fields(self._decrypt(encrypted).encode("utf-8"))
            except CryptoError:
                return response.text("forbidden", status=403)
            if message:
                await self._accept(message, api, on_new_message)
            return response.text("")

    async def _accept(
        self, message: Dict[Text, Text], api: WeComApi, on_new_message: OnNewMessage
    ) -> None:
        user = message.get("FromUserName", "")
        key = message.get("MsgId") or f"{user}:{message.get('CreateTime', '')}"
        if message.get("MsgType") != "text" or not user:
            return
        if not await self.is_first_delivery(key):
            return

        async def send(text: Text) -> None:
            await api.send_text(user, text)

        metadata: Dict[Text, Any] = {"platform": "wecom", "agent_id": message.get("AgentID")}
        self.dispatch(on_new_message, user, message.get("Content", ""), key, send, metadata)
