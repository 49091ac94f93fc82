"""State the messaging-app connectors share between Rasa servers.

Platform callbacks arrive from many addresses, so behind a load balancer a retry, a button number
or a token refresh may reach any replica. What must be the same on every replica lives here:
message ids already accepted, the buttons last offered to a user, and the platform access tokens
(fetched under a lock so that one replica fetches and the others reuse it).

`for_lock_store` picks the backend: the Redis of Rasa's lock store when the endpoints configure one
(`endpoints.prod.yml`), else memory, which is right for a single process.
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Dict, Optional, Text, Tuple

logger = logging.getLogger(__name__)

MAX_MEMORY_ITEMS = 100_000
LOCK_SECONDS = 30  # longest a token fetch may hold the lock before another replica may take it


class SharedState:
    """The store interface: JSON values under keys, each with a time to live, and named locks."""

    async def add_if_new(self, key: Text, ttl_seconds: float) -> bool:
        """Records key; True only for the first caller within the time to live."""
        raise NotImplementedError

    async def get(self, key: Text) -> Any:
        """The value under key, or None."""
        raise NotImplementedError

    async def set(self, key: Text, value: Any, ttl_seconds: float) -> None:
        """Stores value under key for ttl_seconds."""
        raise NotImplementedError

    async def pop(self, key: Text) -> Any:
        """Removes and returns the value under key (None when absent), atomically."""
        raise NotImplementedError

    async def delete_if(self, key: Text, value: Any) -> None:
        """Removes key only while it still holds value (another replica may have replaced it)."""
        raise NotImplementedError

    def lock(self, name: Text) -> Any:
        """An async context manager held by one caller at a time across all replicas."""
        raise NotImplementedError


class MemoryState(SharedState):
    """One process's state: a bounded map with expiry and asyncio locks."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_items: int = MAX_MEMORY_ITEMS
    ) -> None:
        self._clock = clock
        self._max = max_items
        self._items: "OrderedDict[Text, Tuple[float, Any]]" = OrderedDict()
        self._locks: Dict[Text, asyncio.Lock] = {}

    def _live(self, key: Text) -> Optional[Tuple[float, Any]]:
        entry = self._items.get(key)
        if entry and entry[0] <= self._clock():
            del self._items[key]
            return None
        return entry

    def _store(self, key: Text, value: Any, ttl_seconds: float) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + ttl_seconds, value)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def add_if_new(self, key: Text, ttl_seconds: float) -> bool:
        if self._live(key):
            return False
        self._store(key, True, ttl_seconds)
        return True

    async def get(self, key: Text) -> Any:
        entry = self._live(key)
        return entry[1] if entry else None

    async def set(self, key: Text, value: Any, ttl_seconds: float) -> None:
        self._store(key, value, ttl_seconds)

    async def pop(self, key: Text) -> Any:
        entry = self._live(key)
        self._items.pop(key, None)
        return entry[1] if entry else None

    async def delete_if(self, key: Text, value: Any) -> None:
        entry = self._live(key)
        if entry and entry[1] == value:
            del self._items[key]

    def lock(self, name: Text) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())


# Deletes KEYS[1] only while it holds ARGV[1]: one round trip, so no replica's new value is lost.
_DELETE_IF = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisState(SharedState):
    """State in Redis, shared by every replica connected to it."""

    def __init__(self, client: Any, prefix: Text) -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, key: Text) -> Text:
        return self._prefix + key

    async def add_if_new(self, key: Text, ttl_seconds: float) -> bool:
        return bool(await self._redis.set(self._key(key), "1", nx=True, ex=int(ttl_seconds)))

    async def get(self, key: Text) -> Any:
        raw = await self._redis.get(self._key(key))
        return None if raw is None else json.loads(raw)

    async def set(self, key: Text, value: Any, ttl_seconds: float) -> None:
        await self._redis.set(self._key(key), json.dumps(value), ex=max(1, int(ttl_seconds)))

    async def pop(self, key: Text) -> Any:
        raw = await self._redis.getdel(self._key(key))
        return None if raw is None else json.loads(raw)

    async def delete_if(self, key: Text, value: Any) -> None:
        await self._redis.eval(_DELETE_IF, 1, self._key(key), json.dumps(value))

    @asynccontextmanager
    async def lock(self, name: Text) -> AsyncIterator[None]:
        async with self._redis.lock(
            self._key(f"lock:{name}"), timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS
        ):
            yield


def for_lock_store(lock_store: Any) -> SharedState:
    """Redis when Rasa's lock store is a RedisLockStore (same server and database), else memory."""
    import redis
    import redis.asyncio
    from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX, RedisLockStore

    if not isinstance(lock_store, RedisLockStore):
        return MemoryState()
    pool = lock_store.red.connection_pool
    wanted = ["host", "port", "db", "username", "password", "socket_timeout"]
    if issubclass(pool.connection_class, redis.SSLConnection):
        wanted += ["ssl_certfile", "ssl_keyfile", "ssl_ca_certs"]
    settings = {key: pool.connection_kwargs[key] for key in wanted if key in pool.connection_kwargs}
    if issubclass(pool.connection_class, redis.SSLConnection):
        settings["ssl"] = True
    client = redis.asyncio.Redis(**settings)
    logger.info("Messaging-app channels share their state through the lock store's Redis.")
    # Beside the lock store's keys, not among them: a conversation id can be any string.
    namespace = lock_store.key_prefix[: -len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)]
    return RedisState(client, f"{namespace}channels:")
