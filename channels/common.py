"""Machinery shared by the messaging-app channels (WeCom, Feishu, WeChat Official Account).

Every platform webhook works the same way here: check the signature, decrypt, drop the platform's
retries, acknowledge at once, then let Rasa answer in a background task whose replies go out through
the platform's message API. Only the wire formats differ; they live in the connector modules.
"""

import asyncio
import logging
import os
import time
from xml.etree import ElementTree
from typing import (
    Any,
    Awaitable,
    Callable,
    ClassVar,
    Dict,
    List,
    Optional,
    Set,
    Text,
    Tuple,
)

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import (
    RateLimiter,
    ReplyGate,
    answer_with_fallback,
    default_settings,
    screen_text,
)
from channels.shared_state import MemoryState, SharedState, for_lock_store

logger = logging.getLogger(__name__)

# WeCom and WeChat retry a callback three times within about 15 s; ids are kept far longer.
RETRY_WINDOW_SECONDS = 15 * 60
BUTTON_MEMORY_SECONDS = 30 * 60
API_TIMEOUT_SECONDS = 10
TOKEN_EARLY_REFRESH_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Send = Callable[[Text], Awaitable[None]]


def prepare_text(text: Text, sender_id: Text, limiter: Optional[RateLimiter] = None) -> Tuple[Optional[Text], Optional[Text]]:
    """The one function every messaging-app text passes through before Rasa sees it.

    Applies channels/guard.py (control characters removed, phone numbers, e-mail addresses and ID
    numbers masked, length and per-sender rate limit). Returns (text for Rasa, None) or
    (None, polite reply to send instead); (None, None) drops an empty message silently.
    """
    if not isinstance(text, str) or not text.strip():
        return None, None
    screened = screen_text(text, sender_id, limiter)
    return screened.text, screened.reply


def split_utf8(text: Text, max_bytes: int) -> List[Text]:
    """Text cut into pieces of at most max_bytes in UTF-8, on character boundaries.

    A piece ends after its last line break when that keeps it at least half full; the pieces
    joined give the text back unchanged.
    """
    pieces = []
    rest = text
    while len(rest.encode("utf-8")) > max_bytes:
        cut = len(rest.encode("utf-8")[:max_bytes].decode("utf-8", "ignore"))
        line_end = rest.rfind("\n", 0, cut) + 1
        if line_end > cut // 2:
            cut = line_end
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces + [rest] if rest or not pieces else pieces


class PlatformApiError(RuntimeError):
    """The platform API answered with an error code."""

    def __init__(self, message: Text, code: int = 0, token_expired: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.token_expired = token_expired


class PlatformApi:
    """An HTTP client for one platform's API with an access token shared by all replicas.

    Subclasses implement `_fetch_token` (returns the token and its lifetime in seconds), `_check`
    (raises PlatformApiError for an error answer) and `token_key` (one per app and secret). The
    token lives in the shared state and is fetched under its lock: a new token invalidates the
    old one on some platforms, so replicas fetching their own would break each other.
    """

    def __init__(self, base_url: Text, state: Callable[[], SharedState]) -> None:
        self.base_url = base_url.rstrip("/")
        self._state = state

    @property
    def token_key(self) -> Text:
        raise NotImplementedError

    async def _fetch_token(self, session: aiohttp.ClientSession) -> Tuple[Text, float]:
        raise NotImplementedError

    def _check(self, answer: Dict[Text, Any]) -> None:
        raise NotImplementedError

    async def _request_json(
        self, session: aiohttp.ClientSession, method: Text, path: Text, **kwargs: Any
    ) -> Dict[Text, Any]:
        async with session.request(method, self.base_url + path, **kwargs) as resp:
            if resp.status >= 400:
                raise PlatformApiError(f"{path} answered HTTP {resp.status}")
            answer = await resp.json(content_type=None)
        self._check(answer)
        return answer

    async def _access_token(self, session: aiohttp.ClientSession) -> Text:
        state, key = self._state(), f"token:{self.token_key}"
        token = await state.get(key)
        if token:
            return token
        async with state.lock(key):
            token = await state.get(key)
            if not token:
                token, lifetime = await self._fetch_token(session)
                ttl = max(lifetime - TOKEN_EARLY_REFRESH_SECONDS, 60)
                await state.set(key, token, ttl)
            return token

    async def call_with_token(
        self,
        method: Text,
        path: Text,
        build: Callable[[Text], Dict[Text, Any]],
    ) -> Dict[Text, Any]:
        """Calls path with the access token; refreshes the token once if it has expired.

        `build(token)` returns the keyword arguments of the request (params, json, headers).
        """
        timeout = aiohttp.ClientTimeout(total=API_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for attempt in range(2):
                token = await self._access_token(session)
                try:
                    return await self._request_json(session, method, path, **build(token))
                except PlatformApiError as error:
                    if not error.token_expired or attempt:
                        raise
                    await self._state().delete_if(f"token:{self.token_key}", token)
        raise AssertionError("unreachable")


class PlatformOutput(OutputChannel):
    """Sends Rasa's replies through a platform API; buttons become a numbered list.

    Every reply asks the gate first: once the static answer has replaced a late answer, the
    late replies are dropped.
    """

    def __init__(
        self,
        send: Send,
        remember_buttons: Callable[[List[Dict[Text, Any]]], Awaitable[None]],
        gate: ReplyGate,
    ) -> None:
        self._send = send
        self._remember_buttons = remember_buttons
        self._gate = gate

    async def send_text_message(
        self, recipient_id: Text, text: Text, **kwargs: Any
    ) -> None:
        """Sends a plain text reply."""
        if self._gate.let_through():
            await self._send(text)

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        """Sends the text with the buttons as numbered choices the user answers by number."""
        choices = "\n".join(
            f"{number}. {button.get('title', '')}"
            for number, button in enumerate(buttons, start=1)
        )
        if self._gate.let_through():
            await self._remember_buttons(buttons)
            await self._send(f"{text}\n{choices}\n（回复数字即可选择）")

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """Sends the `text` of a custom message (the copyable support request) as its own message.

        Other custom payloads are meant for the web widget and have no text form here.
        """
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text:
            await self.send_text_message(recipient_id, text)


class PlatformInput(InputChannel):
    """Base of the messaging-app input channels.

    Settings come from environment variables only (`REQUIRED_ENV`/`OPTIONAL_ENV` map a setting
    name to its variable). A channel whose required variables are missing stays registered but
    answers 503 and processes nothing, so the server still starts. Message ids, button memory
    and tokens live in `state`: the lock store's Redis once the server runs with one, else memory.
    """

    REQUIRED_ENV: ClassVar[Dict[Text, Text]] = {}
    OPTIONAL_ENV: ClassVar[Dict[Text, Text]] = {}
    DEFAULTS: ClassVar[Dict[Text, Text]] = {}
    # How long the platform may retry a callback: ids are kept and timestamps accepted this long.
    RETRY_WINDOW_SECONDS: ClassVar[float] = RETRY_WINDOW_SECONDS
    # The platform's limit for one text message in UTF-8 bytes (None: no limit that matters).
    MAX_TEXT_BYTES: ClassVar[Optional[int]] = None

    def __init__(self, settings: Optional[Dict[Text, Text]]) -> None:
        self.settings = settings
        self.state: SharedState = MemoryState()
        self._state_bound = False
        self._tasks: Set["asyncio.Task[None]"] = set()
        self.guard = default_settings()
        self._limiter = RateLimiter.from_settings(self.guard)

    @classmethod
    def from_credentials(
        cls, credentials: Optional[Dict[Text, Any]]
    ) -> "PlatformInput":
        """Reads the settings from the environment; secrets never come from credentials.yml."""
        missing = [var for var in cls.REQUIRED_ENV.values() if not os.environ.get(var)]
        if missing:
            logger.warning(
                "Channel '%s' is disabled: environment variable(s) %s not set.",
                cls.name(),
                ", ".join(missing),
            )
            return cls(None)
        settings = dict(cls.DEFAULTS)
        for key, var in {**cls.REQUIRED_ENV, **cls.OPTIONAL_ENV}.items():
            if os.environ.get(var):
                settings[key] = os.environ[var]
        return cls(settings)

    @property
    def enabled(self) -> bool:
        """Whether all required settings were found."""
        return self.settings is not None

    def routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        """Adds the platform's webhook routes to the blueprint."""
        raise NotImplementedError

    def _bind_state(self, request: Request) -> None:
        """Moves to the lock store's Redis on the first request (the agent is loaded by then)."""
        agent = getattr(request.app.ctx, "agent", None)
        if self._state_bound or agent is None:
            return
        self.state = for_lock_store(agent.lock_store)
        self._state_bound = True

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The channel's routes: a health check and the platform webhook."""
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.middleware("request")
        async def limit_body(request: Request) -> Optional[HTTPResponse]:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("request body too large", status=413)
            self._bind_state(request)
            return None

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        if self.enabled:
            self.routes(hook, on_new_message)
        else:

            @hook.route("/webhook", methods=["GET", "POST"])
            async def disabled(request: Request) -> HTTPResponse:
                return response.text("channel not configured", status=503)

        return hook

    def is_fresh(self, timestamp: Optional[Text]) -> bool:
        """Whether a signed request timestamp (seconds) lies within this platform's retry window.

        Older requests are refused: within the window the id store catches replays, beyond it
        nothing would.
        """
        try:
            return abs(time.time() - int(timestamp or "")) <= self.RETRY_WINDOW_SECONDS
        except ValueError:
            return False

    async def is_first_delivery(self, message_key: Text) -> bool:
        """False for a platform retry of a message already accepted, on any replica."""
        return await self.state.add_if_new(
            f"{self.name()}:seen:{message_key}", self.RETRY_WINDOW_SECONDS
        )

    def _split(self, send: Send) -> Send:
        """send, with texts over the platform's limit sent as several messages."""
        limit = self.MAX_TEXT_BYTES
        if limit is None:
            return send

        async def send_pieces(text: Text) -> None:
            for piece in split_utf8(text, limit):
                await send(piece)

        return send_pieces

    def dispatch(
        self,
        on_new_message: OnNewMessage,
        sender_id: Text,
        text: Text,
        message_id: Text,
        send: Send,
        metadata: Optional[Dict[Text, Any]] = None,
        gate: Optional[ReplyGate] = None,
    ) -> "Optional[asyncio.Task[None]]":
        """Hands the message to Rasa in the background; replies go out through `send`.

        Returns the background task (None for an empty message, which is dropped). A channel
        that may answer with the static text itself passes the `gate` of the assistant's replies.
        """
        send = self._split(send)
        prepared, refusal = prepare_text(text, sender_id, self._limiter)
        if prepared is None:
            return self._spawn(self._deliver(send, refusal)) if refusal else None
        return self._spawn(
            self._handle(
                on_new_message, sender_id, prepared, message_id, send, metadata, gate or ReplyGate()
            )
        )

    def _spawn(self, work: Awaitable[None]) -> "asyncio.Task[None]":
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, send: Send, text: Text) -> None:
        try:
            await send(text)
        except Exception:  # noqa: BLE001 - a failed reply must not kill the server
            logger.exception("Channel '%s' failed to send a reply", self.name())

    async def _chosen_payload(self, sender_id: Text, text: Text) -> Text:
        """The payload of the button whose number the user sent, else the text itself.

        The buttons are forgotten with any new message: a number only means a button right after
        the list that offered it.
        """
        buttons = await self.state.pop(f"{self.name()}:buttons:{sender_id}") or []
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            return buttons[int(text) - 1].get("payload") or text
        return text

    async def _handle(
        self,
        on_new_message: OnNewMessage,
        sender_id: Text,
        text: Text,
        message_id: Text,
        send: Send,
        metadata: Optional[Dict[Text, Any]],
        gate: ReplyGate,
    ) -> None:
        """Runs Rasa; the static answer of channels/guard.py goes out if it fails or is silent."""

        async def remember(buttons: List[Dict[Text, Any]]) -> None:
            kept = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons]
            await self.state.set(f"{self.name()}:buttons:{sender_id}", kept, BUTTON_MEMORY_SECONDS)

        try:
            message = UserMessage(
                text=await self._chosen_payload(sender_id, text),
                output_channel=PlatformOutput(send, remember, gate),
                sender_id=sender_id,
                input_channel=self.name(),
                message_id=message_id,
                metadata=metadata,
            )
            await answer_with_fallback(
                lambda: on_new_message(message),
                lambda: gate.sent,
                lambda static: self._deliver(send, static),
                self.guard,
                gate,
            )
        except Exception:  # noqa: BLE001 - a failed reply must not kill the server
            logger.exception("Channel '%s' failed to answer message %s", self.name(), message_id)


def xml_fields(body: bytes) -> Optional[Dict[Text, Text]]:
    """The child elements of a flat WeChat-style XML message, or None when it is not one.

    Bodies declaring a DOCTYPE are refused: the platforms never send one, entity tricks do.
    """
    if b"<!DOCTYPE" in body.upper():
        return None
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    return {child.tag: (child.text or "") for child in root}
