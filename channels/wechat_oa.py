"""WeChat Official Account (微信公众号) channel, plain mode and safe (AES) mode.

Server URL: /webhooks/wechat_oa/webhook. GET answers the server check (signature + echostr), POST
receives XML messages (encrypted when `encrypt_type=aes`), acknowledges with "success" and answers
asynchronously through the customer-service message API `cgi-bin/message/custom/send`.
"""

from typing import Dict, Optional, Text, Tuple

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import OnNewMessage, PlatformInput, is_fresh, xml_fields
from channels.platform_crypto import CryptoError, same, wx_decrypt, wx_signature
from channels.wx_api import WxApi

# A new follower gets the greeting, as the web widget's initPayload does.
SUBSCRIBE_PAYLOAD = "/greet"


class WeChatOAApi(WxApi):
    """The Official Account API (https://api.weixin.qq.com by default)."""

    def __init__(self, base_url: Text, app_id: Text, secret: Text) -> None:
        super().__init__(base_url)
        self.app_id = app_id
        self.secret = secret

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
        if not is_fresh(request.args.get("timestamp")):
            return None, 403
        fields = xml_fields(request.body)
        if fields is None:
            return None, 400
        if request.args.get("encrypt_type") != "aes":
            return fields, 200
        if "aes_key" not in self.settings:
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
            self.settings["api_base"], self.settings["app_id"], self.settings["secret"]
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
            if message:
                self._accept(message, api, on_new_message)
            return response.text("success")

    def _accept(
        self, message: Dict[Text, Text], api: WeChatOAApi, on_new_message: OnNewMessage
    ) -> None:
        open_id = message.get("FromUserName", "")
        key = message.get("MsgId") or f"{open_id}:{message.get('CreateTime', '')}"
        if message.get("MsgType") == "text":
            text = message.get("Content", "")
        elif message.get("MsgType") == "event" and message.get("Event") == "subscribe":
            text = SUBSCRIBE_PAYLOAD
        else:
            return
        if not open_id or not self.is_first_delivery(key):
            return

        async def send(reply: Text) -> None:
            await api.send_text(open_id, reply)

        metadata = {"platform": "wechat_oa"}
        self.dispatch(on_new_message, open_id, text, key, send, metadata)
