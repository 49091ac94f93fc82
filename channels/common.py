"""Machinery shared by the messaging-app channels (WeCom, Feishu, WeChat Official Account).

Every platform webhook works the same way here: check the signature, decrypt, drop the platform's
retries, acknowledge at once, then let Rasa answer in a background task whose replies go out through
the platform's message API. Only the wire formats differ; they live in the connector modules.
"""

import asyncio
import logging
import os
import time
from collections import OrderedDict
from xml.etree import ElementTree
from typing import (
    Any,
    Awaitable,
    Callable,
    ClassVar,
    Dict,
    Hashable,
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

from channels.guard import RateLimiter, answer_with_fallback, screen_text

logger = logging.getLogger(__name__)

RETRY_WINDOW_SECONDS = 15 * 60
SEEN_IDS_LIMIT = 10_000
BUTTON_MEMORY_SECONDS = 30 * 60
API_TIMEOUT_SECONDS = 10
TOKEN_EARLY_REFRESH_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


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


def is_fresh(timestamp: Optional[Text]) -> bool:
    """Whether a signed request timestamp (seconds) lies within the retry window.

    Older requests are refused: within the window the id cache catches replays, beyond it
    nothing would.
    """
    try:
        return abs(time.time() - int(timestamp or "")) <= RETRY_WINDOW_SECONDS
    except ValueError:
        return False


class TTLCache:
    """A bounded in-memory map whose entries expire after a fixed time."""

    def __init__(
        self,
        ttl_seconds: float,
        max_items: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_items
        self._clock = clock
        self._items: "OrderedDict[Hashable, Tuple[float, Any]]" = OrderedDict()

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            key, (expires, _) = next(iter(self._items.items()))
            if expires > now and len(self._items) <= self._max:
                break
            self._items.popitem(last=False)

    def get(self, key: Hashable) -> Any:
        """The value stored for key, or None when absent or expired."""
        self._expire()
        entry = self._items.get(key)
        return entry[1] if entry else None

    def set(self, key: Hashable, value: Any) -> None:
        """Stores value under key for the cache's time to live."""
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self._ttl, value)
        self._expire()

    def add_if_new(self, key: Hashable) -> bool:
        """Records key; True the first time it is seen within the time to live."""
        if self.get(key) is not None:
            return False
        self.set(key, True)
        return True


class PlatformApiError(RuntimeError):
    """The platform API answered with an error code."""

    def __init__(self, message: Text, token_expired: bool = False) -> None:
        super().__init__(message)
        self.token_expired = token_expired


class PlatformApi:
    """An HTTP client for one platform's API with a cached access token.

    Subclasses implement `_fetch_token` (returns the token and its lifetime in seconds) and
    `_check` (raises PlatformApiError for an error answer).
    """

    def __init__(self, base_url: Text) -> None:
        self.base_url = base_url.rstrip("/")
        self._token: Optional[Text] = None
        self._token_expires = 0.0
        self._token_lock: Optional[asyncio.Lock] = None

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
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                token, lifetime = await self._fetch_token(session)
                self._token = token
                self._token_expires = time.monotonic() + max(
                    lifetime - TOKEN_EARLY_REFRESH_SECONDS, 60
                )
            return self._token

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
                    self._token = None
        raise AssertionError("unreachable")


class PlatformOutput(OutputChannel):
    """Sends Rasa's replies through a platform API; buttons become a numbered list."""

    def __init__(
        self,
        send: Callable[[Text], Awaitable[None]],
        remember_buttons: Callable[[List[Dict[Text, Any]]], None],
    ) -> None:
        self._send = send
        self._remember_buttons = remember_buttons

    async def send_text_message(
        self, recipient_id: Text, text: Text, **kwargs: Any
    ) -> None:
        """Sends a plain text reply."""
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
        self._remember_buttons(buttons)
        await self._send(f"{text}\n{choices}\n（回复数字即可选择）")


class PlatformInput(InputChannel):
    """Base of the messaging-app input channels.

    Settings come from environment variables only (`REQUIRED_ENV`/`OPTIONAL_ENV` map a setting
    name to its variable). A channel whose required variables are missing stays registered but
    answers 503 and processes nothing, so the server still starts.
    """

    REQUIRED_ENV: ClassVar[Dict[Text, Text]] = {}
    OPTIONAL_ENV: ClassVar[Dict[Text, Text]] = {}
    DEFAULTS: ClassVar[Dict[Text, Text]] = {}

    def __init__(self, settings: Optional[Dict[Text, Text]]) -> None:
        self.settings = settings
        self._seen_ids = TTLCache(RETRY_WINDOW_SECONDS, SEEN_IDS_LIMIT)
        self._buttons = TTLCache(BUTTON_MEMORY_SECONDS, SEEN_IDS_LIMIT)
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._limiter = RateLimiter.from_settings()

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

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The channel's routes: a health check and the platform webhook."""
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.middleware("request")
        async def limit_body(request: Request) -> Optional[HTTPResponse]:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("request body too large", status=413)
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

    def is_first_delivery(self, message_key: Text) -> bool:
        """False for a platform retry of a message already accepted."""
        return self._seen_ids.add_if_new(message_key)

    def dispatch(
        self,
        on_new_message: OnNewMessage,
        sender_id: Text,
        text: Text,
        message_id: Text,
        send: Callable[[Text], Awaitable[None]],
        metadata: Optional[Dict[Text, Any]] = None,
    ) -> None:
        """Hands the message to Rasa in the background; replies go out through `send`."""
        prepared, refusal = prepare_text(text, sender_id, self._limiter)
        sent = [0]

        async def counted_send(reply: Text) -> None:
            sent[0] += 1
            await send(reply)

        if prepared is None:
            if refusal:
                self._spawn(self._deliver(counted_send, refusal))
            return
        buttons = self._buttons.get(sender_id) or []
        self._buttons.set(sender_id, [])
        if prepared.isdigit() and 1 <= int(prepared) <= len(buttons):
            prepared = buttons[int(prepared) - 1].get("payload") or prepared

        def remember(new_buttons: List[Dict[Text, Any]]) -> None:
            self._buttons.set(sender_id, new_buttons)

        message = UserMessage(
            text=prepared,
            output_channel=PlatformOutput(counted_send, remember),
            sender_id=sender_id,
            input_channel=self.name(),
            message_id=message_id,
            metadata=metadata,
        )
        self._spawn(self._handle(on_new_message, message, counted_send, lambda: sent[0]))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, send: Callable[[Text], Awaitable[None]], text: Text) -> None:
        try:
            await send(text)
        except Exception:  # noqa: BLE001 - a failed reply must not kill the server
            logger.exception("Channel '%s' failed to send a reply", self.name())

    async def _handle(
        self,
        on_new_message: OnNewMessage,
        message: UserMessage,
        send: Callable[[Text], Awaitable[None]],
        replies_sent: Callable[[], int],
    ) -> None:
        """Runs Rasa; the static answer of channels/guard.py goes out if it fails or is silent."""
        try:
            await answer_with_fallback(
                lambda: on_new_message(message), replies_sent, lambda text: self._deliver(send, text)
            )
        except Exception:  # noqa: BLE001 - a failed reply must not kill the server
            logger.exception(
                "Channel '%s' failed to answer message %s",
                self.name(),
                message.message_id,
            )


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
