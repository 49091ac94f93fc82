"""Feishu/Lark bot channel (event subscription, schema 2.0, with an encrypt key).

Request URL: /webhooks/feishu/webhook. Answers the `url_verification` challenge, checks the
X-Lark-Signature and the verification token of every event, decrypts the `encrypt` field,
acknowledges at once and answers `im.message.receive_v1` text messages through `im/v1/messages`
with a tenant access token.
"""

import json
from typing import Any, Callable, Dict, Optional, Text, Tuple

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import (
    OnNewMessage,
    PlatformApi,
    PlatformApiError,
    PlatformInput,
)
from channels.platform_crypto import CryptoError, feishu_decrypt, feishu_signature, same
from channels.shared_state import SharedState

# tenant access token invalid / expired
FEISHU_TOKEN_ERRORS = {99991661, 99991663, 99991664}
MESSAGE_EVENT = "im.message.receive_v1"


class FeishuApi(PlatformApi):
    """The Feishu open API (https://open.feishu.cn by default; Lark: https://open.larksuite.com)."""

    def __init__(
        self, base_url: Text, state: Callable[[], SharedState], app_id: Text, app_secret: Text
    ) -> None:
        super().__init__(base_url, state)
        self.app_id = app_id
        self.app_secret = app_secret

    @property
    def token_key(self) -> Text:
        """The tenant access token of the app."""
        return f"feishu:{self.app_id}"

    def _check(self, answer: Dict[Text, Any]) -> None:
        code = answer.get("code", 0)
        if code:
            raise PlatformApiError(
                f"API error {code}: {answer.get('msg', '')}",
                code=int(code),
                token_expired=code in FEISHU_TOKEN_ERRORS,
            )

    async def _fetch_token(self, session: aiohttp.ClientSession) -> Tuple[Text, float]:
        answer = await self._request_json(
            session,
            "POST",
            "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": self.app_id, "app_secret": self.app_secret},
        )
        return answer["tenant_access_token"], float(answer.get("expire", 7200))

    async def send_text(self, chat_id: Text, text: Text) -> None:
        """Sends a text message to a chat."""
        body = {
            "receive_id": chat_id,
            "msg_type": "text",
            "content": json.dumps({"text": text}, ensure_ascii=False),
        }
        await self.call_with_token(
            "POST",
            "/open-apis/im/v1/messages",
            lambda token: {
                "params": {"receive_id_type": "chat_id"},
                "json": body,
                "headers": {"Authorization": f"Bearer {token}"},
            },
        )


class FeishuInput(PlatformInput):
    """Feishu/Lark bot event subscription."""

    REQUIRED_ENV = {
        "app_id": "FEISHU_APP_ID",
        "app_secret": "FEISHU_APP_SECRET",
        "verification_token": "FEISHU_VERIFICATION_TOKEN",
        "encrypt_key": "FEISHU_ENCRYPT_KEY",
    }
    OPTIONAL_ENV = {"api_base": "FEISHU_API_BASE"}
    DEFAULTS = {"api_base": "https://open.feishu.cn"}
    # Feishu retries an unacknowledged event after 15 s, 5 min, 1 h and 6 h: the last retry may
    # come more than 7 h after the first push, so ids are kept and timestamps accepted for 8 h.
    RETRY_WINDOW_SECONDS = 8 * 3600

    @classmethod
    def name(cls) -> Text:
        """Route prefix: /webhooks/feishu/."""
        return "feishu"

    def _payload(self, request: Request) -> Optional[Dict[Text, Any]]:
        """The decrypted event body, or None when it cannot be read."""
        try:
            outer = json.loads(request.body)
            if not isinstance(outer, dict):
                return None
            if "encrypt" in outer:
                outer = json.loads(feishu_decrypt(self.settings["encrypt_key"], outer["encrypt"]))
        except (ValueError, RecursionError, CryptoError):
            return None
        return outer if isinstance(outer, dict) else None

    def _signature_status(self, request: Request) -> Optional[int]:
        """None when X-Lark-Signature verifies, else the error status."""
        headers = request.headers
        timestamp = headers.get("X-Lark-Request-Timestamp")
        nonce = headers.get("X-Lark-Request-Nonce")
        given = headers.get("X-Lark-Signature")
        if not (timestamp and nonce and given):
            return 401
        expected = feishu_signature(timestamp, nonce, self.settings["encrypt_key"], request.body)
        return None if same(expected, given) and self.is_fresh(timestamp) else 403

    def routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        """POST: URL verification and events."""
        api = FeishuApi(
            self.settings["api_base"],
            lambda: self.state,
            self.settings["app_id"],
            self.settings["app_secret"],
        )
        token = self.settings["verification_token"]

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            payload = self._payload(request)
            if payload is None:
                return response.json({"error": "unreadable"}, status=400)
            if payload.get("type") == "url_verification":
                # Feishu does not sign the challenge; the (decrypted) token authenticates it.
                if not same(token, str(payload.get("token", ""))):
                    return response.json({"error": "forbidden"}, status=403)
                return response.json({"challenge": payload.get("challenge", "")})
            status = self._signature_status(request)
            header = payload.get("header") or {}
            if status or not same(token, str(header.get("token", ""))):
                return response.json({"error": "forbidden"}, status=status or 403)
            if header.get("event_type") == MESSAGE_EVENT:
                await self._accept(header, payload.get("event") or {}, api, on_new_message)
            return response.json({})

    async def _accept(
        self,
        header: Dict[Text, Any],
        event: Dict[Text, Any],
        api: FeishuApi,
        on_new_message: OnNewMessage,
    ) -> None:
        message = event.get("message") or {}
        sender = (event.get("sender") or {}).get("sender_id") or {}
        open_id, chat_id = sender.get("open_id"), message.get("chat_id")
        event_id = str(header.get("event_id") or message.get("message_id") or "")
        if message.get("message_type") != "text" or not (open_id and chat_id and event_id):
            return
        if not await self.is_first_delivery(event_id):
            return
        try:
            text = str(json.loads(message.get("content") or "{}").get("text", ""))
        except (ValueError, AttributeError):
            return
        for mention in message.get("mentions") or []:
            text = text.replace(str(mention.get("key", "")), "")

        async def send(reply: Text) -> None:
            await api.send_text(chat_id, reply)

        metadata = {"platform": "feishu", "chat_type": message.get("chat_type")}
        self.dispatch(on_new_message, open_id, text, event_id, send, metadata)
