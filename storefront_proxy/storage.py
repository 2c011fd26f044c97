"""Redis underneath every concept's repository: the connection, the durability check and the transactions.

Each concept's repository module owns its keys (``cancellations/repository.py``, ``holds/repository.py``, ...);
``storefront_proxy/store.py`` puts them together on one connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import redis
from pydantic import BaseModel
from redis.backoff import ExponentialBackoff
from redis.client import Pipeline
from redis.retry import Retry

log = logging.getLogger(__name__)

# Every key the app writes starts with this (``key``).
KEY_PREFIX = "selfservice"
# Writers retry an optimistic transaction this often before giving up on a hot key.
MAX_WATCH_RETRIES = 20

# Errors that mean "Redis is unreachable right now": callers answer 503 or retry later.
REDIS_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

Model = TypeVar("Model", bound=BaseModel)
Result = TypeVar("Result")
# What a repository's writer adds to a record's transaction: the RQ job that goes with the record.
Enqueue = Callable[[Pipeline, Result], None]


def key(*parts: object) -> str:
    """A Redis key of the app: ``selfservice:<part>:<part>...``."""
    return ":".join([KEY_PREFIX, *(str(part) for part in parts)])


def text(value: object) -> str:
    """A Redis reply as text (redis-py answers bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


class NotFoundError(LookupError):
    """The record to change is not (or no longer) in Redis."""


class RecordChangedError(Exception):
    """Another writer kept changing the record; the write was not applied."""


def connect(redis_url: str, *, wait_for_server: bool = False) -> redis.Redis:
    """A Redis client for the web (fails fast) or, with ``wait_for_server``, for workers (waits Redis out).

    The web answers a shopper 503 at once when Redis is away, and the request can be sent again. A worker is in
    the middle of a shopper's accepted request: each command waits for Redis to come back (a restart, a
    failover), retrying with a backoff of at most ``WAIT_BACKOFF_CAP`` seconds, for as long as it takes.
    """
    if not wait_for_server:
        return redis.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=15, retry_on_timeout=False
        )
    return redis.Redis.from_url(
        redis_url, socket_connect_timeout=2, socket_timeout=30, health_check_interval=15, retry=waiting_retry()
    )


# A worker's Redis commands retry a lost connection waiting up to this long in between, and say so this often.
WAIT_BACKOFF_CAP = 2.0
WAIT_LOG_SECONDS = 30.0


class WaitForRedis(Retry):
    """redis-py's retry policy for workers: connection errors, timeouts and LOADING retried forever, with a
    warning every ``WAIT_LOG_SECONDS`` while it waits; a refused password or user (AuthenticationError, a
    ConnectionError too) is raised at once, since waiting will not fix it."""

    _last_warning = 0.0

    def __init__(self) -> None:
        super().__init__(ExponentialBackoff(cap=WAIT_BACKOFF_CAP, base=0.05), retries=-1)

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):  # type: ignore[no-untyped-def]
        def retryable(error: Exception) -> bool:
            if isinstance(error, redis.exceptions.AuthenticationError):
                return False
            if is_retryable is not None and not is_retryable(error):
                return False
            now = time.monotonic()
            if now - WaitForRedis._last_warning >= WAIT_LOG_SECONDS:
                WaitForRedis._last_warning = now
                log.warning("Redis unreachable (%s); waiting for it to come back", type(error).__name__)
            return True

        return super().call_with_retry(do, fail, retryable, with_failure_count)


def waiting_retry() -> Retry:
    """The retry policy of workers' Redis connections (``WaitForRedis``)."""
    return WaitForRedis()


# What production's Redis must be set to (README, "Redis"): every accepted request is on disk before the shopper
# hears 202, and a full Redis refuses writes instead of silently evicting requests or queued jobs.
DURABLE_CONFIG = {"appendonly": {"yes"}, "appendfsync": {"everysec", "always"}, "maxmemory-policy": {"noeviction"}}


def durability_warning(connection: redis.Redis) -> str | None:
    """One line saying how the server's persistence is weaker than ``DURABLE_CONFIG``, or None when it is not.

    Reads ``CONFIG GET``; where CONFIG is disabled (some managed Redis), ``INFO`` tells whether the append-only
    file is on and the eviction policy, though not its fsync policy.
    """
    try:
        found = {name: text(connection.config_get(name).get(name, "")) for name in DURABLE_CONFIG}
    except redis.exceptions.ResponseError:
        info = connection.info("persistence") | connection.info("memory")
        found = {
            "appendonly": "yes" if str(info.get("aof_enabled", "0")) == "1" else "no",
            "maxmemory-policy": text(info.get("maxmemory_policy", "unknown")),
        }
    weaker = [
        f"{name} is {value or 'unset'} (want {' or '.join(sorted(DURABLE_CONFIG[name]))})"
        for name, value in found.items()
        if value not in DURABLE_CONFIG[name]
    ]
    if not weaker:
        return None
    return (
        "Redis can lose accepted requests: " + "; ".join(weaker) + ". Set appendonly yes, appendfsync everysec "
        "(or always) and maxmemory-policy noeviction (README, Redis)."
    )


def warn_if_not_durable(connection: redis.Redis, process: str) -> None:
    """Log ``durability_warning`` once at a process's start; Redis being away is only noted."""
    try:
        warning = durability_warning(connection)
    except REDIS_UNAVAILABLE:
        log.warning("%s: Redis unreachable at start-up; its persistence was not checked", process)
        return
    except redis.exceptions.RedisError as exc:
        log.warning("%s: Redis persistence could not be checked (%s)", process, type(exc).__name__)
        return
    if warning:
        log.warning("%s: %s", process, warning)


T = TypeVar("T")


class Pending(Generic[T]):
    """A value a ``ReadBatch`` reads; ``value`` once the batch has run."""

    def __init__(self) -> None:
        self._ready = False
        self._value: T | None = None

    def set(self, value: T) -> None:
        self._value, self._ready = value, True

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def value(self) -> T:
        if not self._ready:
            raise RuntimeError("the read batch has not run yet")
        return self._value  # type: ignore[return-value]


class ReadBatch:
    """Reads of several repositories sent to Redis together: one pipeline without MULTI, one round trip.

    A storefront read used to wait for Redis five times (rate limit, policy, token, request index, request),
    each wait also a turn for the GIL; each repository now queues its commands on ``pipe`` and says how to
    read their replies (``add``), and ``run`` sends them all at once.
    """

    def __init__(self, connection: redis.Redis) -> None:
        self.pipe: Pipeline = connection.pipeline(transaction=False)
        self._readers: list[tuple[Pending[Any], Callable[..., Any], int]] = []

    def add(self, commands: int, read: Callable[..., T]) -> Pending[T]:
        """The value ``read`` makes of the replies to the last ``commands`` commands queued on ``pipe``."""
        pending: Pending[T] = Pending()
        self._readers.append((pending, read, commands))
        return pending

    def run(self) -> None:
        """Send what is queued (nothing when all of it was sent already)."""
        replies = self.pipe.execute() if self._readers else []
        position = 0
        for pending, read, commands in self._readers:
            pending.set(read(*replies[position : position + commands]))
            position += commands
        self._readers = []


class JsonRecords(Generic[Model]):
    """Pydantic records stored as JSON strings, one key each, written in optimistic transactions."""

    def __init__(self, connection: redis.Redis, model: type[Model]) -> None:
        self.redis = connection
        self.model = model

    def get(self, record_key: str) -> Model | None:
        raw = self.redis.get(record_key)
        return self.model.model_validate_json(raw) if raw else None

    def get_many(self, record_keys: list[str]) -> list[Model]:
        """The records of ``record_keys`` that exist, in that order (one MGET)."""
        if not record_keys:
            return []
        return [self.model.model_validate_json(raw) for raw in self.redis.mget(record_keys) if raw]

    def update(
        self,
        record_key: str,
        change: Callable[[Model], Result],
        enqueue: Enqueue[Result] | None = None,
        *,
        what: str,
    ) -> tuple[Model, Result]:
        """Read, change and write one record in a WATCH/MULTI transaction, retried on conflict.

        ``change`` edits the record and returns what the caller (and ``enqueue``) need to know of the change.
        ``enqueue`` adds writes (an RQ job) to the same transaction, so the record and its job land together.
        When the connection drops after EXEC, redis-py cannot tell whether it ran and raises WatchError; if the
        record now reads exactly as this attempt wrote it, it did run, and ``change`` is not applied twice.
        Raises NotFoundError when there is no record, RecordChangedError when it kept changing.
        """
        attempted: bytes | None = None
        result: Any = None
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(record_key)
                    raw = pipe.get(record_key)
                    if raw is None:
                        raise NotFoundError(what)
                    if attempted is not None and raw == attempted:
                        pipe.unwatch()
                        return self.model.model_validate_json(raw), result
                    record = self.model.model_validate_json(raw)
                    result = change(record)
                    attempted = record.model_dump_json().encode()
                    pipe.multi()
                    pipe.set(record_key, attempted)
                    if enqueue is not None:
                        enqueue(pipe, result)
                    pipe.execute()
                    return record, result
                except redis.WatchError:
                    continue
        raise RecordChangedError(f"{what} kept changing")

    def iter_indexed(self, index_key: str, record_key: Callable[[str], str], batch: int) -> Iterator[Model]:
        """The records a sorted-set index lists, newest first, read ``batch`` at a time (one MGET each)."""
        start = 0
        while True:
            members = self.redis.zrevrange(index_key, start, start + batch - 1)
            if not members:
                return
            yield from self.get_many([record_key(text(member)) for member in members])
            start += batch


def watched(connection: redis.Redis, watch_key: str, write: Callable[[Pipeline], bool], *, what: str) -> bool:
    """Run ``write`` in a WATCH on ``watch_key``, retried on conflict; it reads, then calls ``multi()`` and
    queues its writes, or returns False before ``multi()`` to write nothing. Returns what ``write`` returned."""
    with connection.pipeline() as pipe:
        for _ in range(MAX_WATCH_RETRIES):
            try:
                pipe.watch(watch_key)
                done = write(pipe)
                if done:
                    pipe.execute()
                else:
                    pipe.unwatch()
                return done
            except redis.WatchError:
                continue
    raise RecordChangedError(f"{what} kept changing")
