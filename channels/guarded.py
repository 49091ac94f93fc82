"""Rasa's REST and socket.io channels with the input guard of ``channels/guard.py``.

Both keep Rasa's names and URLs (``/webhooks/rest/webhook``, ``/socket.io``) so clients
do not change; ``credentials.yml`` lists them by class path instead of ``rest:`` and
``socketio:``. Every message is validated, rate-limited per sender and masked before it
reaches the tracker, and the user always gets an answer (the static one naming the
human channels when the assistant fails or is too slow).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import (
    GuardRejection,
    GuardSettings,
    RateLimiter,
    ReplyGate,
    answer_with_fallback,
    default_settings,
    inbound_from_payload,
    parse_json_body,
)


class GuardedRestInput(RestInput):
    """``POST /webhooks/rest/webhook`` with validation, rate limit, masking and fallback.

    Bad requests get a 4xx JSON body ``{"error": code, "message": polite text}``; a flood
    from one sender gets 429 with ``Retry-After``. Replies are never streamed.
    """

    def __init__(self, settings: Optional[GuardSettings] = None) -> None:
        self.settings = settings or default_settings()
        self.limiter = RateLimiter.from_settings(self.settings)

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                payload = parse_json_body(request.body, self.settings)
                inbound = inbound_from_payload(payload, self.settings)
            except GuardRejection as rejection:
                return response.json(rejection.as_json(), status=rejection.status)
            if not self.limiter.allow(inbound.sender):
                return response.json(
                    {"error": "rate_limited", "message": self.settings.text("rate_limited")},
                    status=429,
                    headers={"Retry-After": str(self.limiter.retry_after(inbound.sender))},
                )
            channel_name = payload.get("input_channel")
            if not isinstance(channel_name, str) or not channel_name:
                channel_name = self.name()
            collector = CollectingOutputChannel()
            message = UserMessage(
                inbound.text,
                collector,
                inbound.sender,
                input_channel=channel_name,
                metadata=inbound.metadata,
            )
            await answer_with_fallback(
                lambda: on_new_message(message),
                lambda: len(collector.messages),
                lambda text: collector.send_text_message(inbound.sender, text),
                self.settings,
            )
            return response.json(list(collector.messages))

        return webhook


class _CountingSocketIOOutput(SocketIOOutput):
    """Socket.io output whose replies pass the guard's gate: counted, so silence can be noticed,
    and dropped once the static answer has replaced a late answer (one answer, never both)."""

    def __init__(self, sio: Any, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.gate = ReplyGate()

    @property
    def sent(self) -> int:
        return self.gate.sent

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if self.gate.let_through():
            await super()._send_message(socket_id, response)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        # Rasa's SocketIOOutput spreads the payload into emit() keyword arguments, which raises
        # TypeError for keys emit() does not take (type, text): the payload is the event's data.
        await self._send_message(recipient_id, json_message)

    async def send_static(self, recipient_id: Text, text: Text) -> None:
        """The guard's static answer, past the gate it has just closed."""
        await super()._send_message(recipient_id, {"text": text})


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel whose ``user_uttered`` handler goes through the guard.

    Rejected or rate-limited messages are answered with a polite bot message to the
    socket that sent them; they never reach the tracker.
    """

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        settings = default_settings()
        limiter = RateLimiter.from_settings(settings)

        async def reply(sid: Text, text: Text) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            sender: Optional[Text] = sid
            if isinstance(data, dict) and self.session_persistence:
                session_id = data.get("session_id")
                sender = session_id if isinstance(session_id, str) and session_id else None
                if sender is None:
                    await reply(sid, settings.text("bad_request"))
                    return
            if isinstance(data, dict) and isinstance(data.get(self.metadata_key), str):
                try:
                    data = {**data, self.metadata_key: json.loads(data[self.metadata_key])}
                except (ValueError, RecursionError):
                    await reply(sid, settings.text("bad_request"))
                    return
            try:
                inbound = inbound_from_payload(
                    data, settings, metadata_key=self.metadata_key or "metadata", sender=sender
                )
            except GuardRejection as rejection:
                await reply(sid, rejection.text)
                return
            if not limiter.allow(inbound.sender):
                await reply(sid, settings.text("rate_limited"))
                return
            output = _CountingSocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(
                inbound.text,
                output,
                inbound.sender,
                input_channel=self.name(),
                metadata=inbound.metadata or {},
            )
            await answer_with_fallback(
                lambda: on_new_message(message),
                lambda: output.sent,
                lambda text: output.send_static(inbound.sender, text),
                settings,
                output.gate,
            )

        return webhook
