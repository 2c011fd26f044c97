"""Redis persistence of shops, policies and cancellation requests: the only module that knows key names."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.client import Pipeline
from redis.lock import Lock
from redis.retry import Retry

from storefront_proxy.policy import Policy
from storefront_proxy.records import CancellationRequest, FulfillmentHoldRecord
from storefront_proxy.shopify.tokens import OfflineToken, TokenCipher

log = logging.getLogger(__name__)

KEY_PREFIX = "selfservice"
Record = TypeVar("Record", CancellationRequest, FulfillmentHoldRecord)
# Writers retry an optimistic transaction this often before giving up on a hot key.
MAX_WATCH_RETRIES = 20

# Errors that mean "Redis is unreachable right now": callers answer 503 or retry later.
REDIS_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# A shop's hash: the sealed token record, its version (bumped on every write) and, from before encryption at
# rest, a plaintext token that is sealed on first read.
SEALED_TOKEN_FIELD = "token"
TOKEN_VERSION_FIELD = "token_version"
PLAINTEXT_TOKEN_FIELD = "access_token"

# Replace (ARGV[2] set) or drop (ARGV[2] empty) the sealed token only if its version is still ARGV[1].
_REPLACE_TOKEN_IF_VERSION = """
if (redis.call('HGET', KEYS[1], ARGV[3]) or '0') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[4], ARGV[5])
else
  redis.call('HSET', KEYS[1], ARGV[4], ARGV[2])
  redis.call('HDEL', KEYS[1], ARGV[5])
end
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
return 1
"""


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
        found = {name: _text(connection.config_get(name).get(name, "")) for name in DURABLE_CONFIG}
    except redis.exceptions.ResponseError:
        info = connection.info("persistence") | connection.info("memory")
        found = {
            "appendonly": "yes" if str(info.get("aof_enabled", "0")) == "1" else "no",
            "maxmemory-policy": _text(info.get("maxmemory_policy", "unknown")),
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


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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


def token_digest(token: str) -> str:
    """What the app keeps of a token it must recognise later without storing it: a SHA-256 digest."""
    return hashlib.sha256(token.encode()).hexdigest()


class RequestChangedError(Exception):
    """Another writer kept changing the record; the update was not applied."""


class TokenCipherMissingError(Exception):
    """The Store was built without a token cipher, so it cannot read or write access tokens."""


@dataclass(frozen=True)
class StoredToken:
    """A shop's token record and the version it was read at (for compare-and-set writes)."""

    token: OfflineToken
    version: str


class Store:
    """Typed access to the app's Redis data."""

    def __init__(self, connection: redis.Redis, token_cipher: TokenCipher | None = None) -> None:
        self.redis = connection
        self.token_cipher = token_cipher
        self._replace_token_script = connection.register_script(_REPLACE_TOKEN_IF_VERSION)

    def with_token_cipher(self, token_cipher: TokenCipher) -> Store:
        """The same Redis with ``token_cipher`` for the shops' tokens."""
        return Store(self.redis, token_cipher)

    # -- keys -------------------------------------------------------------------------------------

    @staticmethod
    def _shop_key(shop: str) -> str:
        return f"{KEY_PREFIX}:shop:{shop}"

    @staticmethod
    def _token_lock_key(shop: str) -> str:
        return f"{KEY_PREFIX}:token-lock:{shop}"

    @staticmethod
    def _policy_key(shop: str) -> str:
        return f"{KEY_PREFIX}:policy:{shop}"

    @staticmethod
    def _request_key(request_id: str) -> str:
        return f"{KEY_PREFIX}:request:{request_id}"

    @staticmethod
    def _order_request_key(shop: str, order_id: int) -> str:
        return f"{KEY_PREFIX}:order-request:{shop}:{order_id}"

    @staticmethod
    def _shop_requests_key(shop: str) -> str:
        return f"{KEY_PREFIX}:requests:{shop}"

    # -- shops ------------------------------------------------------------------------------------

    def register_shop(self, shop: str, access_token: str) -> None:
        """Store a non-expiring token (a custom app's, from SHOPIFY_ACCESS_TOKEN)."""
        self.save_offline_token(shop, OfflineToken.non_expiring(access_token))

    def token_shops(self) -> Iterator[str]:
        """Every shop with a stored token (a SCAN: for operators' commands, not for requests)."""
        prefix = self._shop_key("")
        for key in self.redis.scan_iter(match=f"{prefix}*", count=500):
            yield key.decode()[len(prefix) :]

    def pause_token_work(self, shop: str, kind: str, seconds: int, note: str = "1") -> None:
        """Don't try ``kind`` ("migration", "early-refresh") on the shop's token again for ``seconds``."""
        self.redis.set(f"{KEY_PREFIX}:token-pause:{kind}:{shop}", note, ex=seconds)

    def token_work_paused(self, shop: str, kind: str) -> str | None:
        """The pause's note while ``kind`` is paused for the shop, else None."""
        note = self.redis.get(f"{KEY_PREFIX}:token-pause:{kind}:{shop}")
        return note.decode() if note is not None else None

    def access_token(self, shop: str) -> str | None:
        """The shop's stored access token as it is (possibly expired: ``shops.shop_token`` refreshes)."""
        stored = self.stored_token(shop)
        return stored.token.access_token.get_secret_value() if stored else None

    def offline_token(self, shop: str) -> OfflineToken | None:
        stored = self.stored_token(shop)
        return stored.token if stored else None

    def stored_token(self, shop: str) -> StoredToken | None:
        """The shop's token record with its version; seals a plaintext or old-key record on the way."""
        cipher = self._cipher()
        sealed, version, plaintext = self.redis.hmget(
            self._shop_key(shop), [SEALED_TOKEN_FIELD, TOKEN_VERSION_FIELD, PLAINTEXT_TOKEN_FIELD]
        )
        current = version.decode() if version else "0"
        if sealed is None:
            if not plaintext:
                return None
            token, stale = OfflineToken.non_expiring(plaintext.decode()), True
        else:
            token, stale = cipher.open(sealed)
        # Compare-and-set, so a concurrent refresh's newer pair is never overwritten with this older one.
        if stale and self.replace_offline_token(shop, token, current):
            current = str(int(current) + 1)
        return StoredToken(token, current)

    def save_offline_token(self, shop: str, token: OfflineToken) -> None:
        """Store the shop's token record (access and refresh token together), sealed."""
        sealed = self._cipher().seal(token)
        with self.redis.pipeline() as pipe:
            pipe.hset(self._shop_key(shop), SEALED_TOKEN_FIELD, sealed)
            pipe.hdel(self._shop_key(shop), PLAINTEXT_TOKEN_FIELD)
            pipe.hincrby(self._shop_key(shop), TOKEN_VERSION_FIELD, 1)
            pipe.delete(self._uninstalled_key(shop))  # a new token means the app is installed (again)
            pipe.execute()

    def replace_offline_token(self, shop: str, token: OfflineToken | None, version: str) -> bool:
        """Store ``token`` (or drop the record when None) only if nobody wrote since ``version``; True if done."""
        sealed = self._cipher().seal(token) if token is not None else b""
        keys = [self._shop_key(shop)]
        args = [version, sealed, TOKEN_VERSION_FIELD, SEALED_TOKEN_FIELD, PLAINTEXT_TOKEN_FIELD]
        return bool(self._replace_token_script(keys=keys, args=args))

    def token_lock(self, shop: str, timeout: float) -> Lock:
        """A per-shop lock for refreshing its token, released by itself after ``timeout`` s if its holder dies.

        redis-py's Lock takes the key with SET NX PX and a random token and releases it by compare-and-delete.
        """
        return self.redis.lock(self._token_lock_key(shop), timeout=timeout, sleep=0.05)

    def _cipher(self) -> TokenCipher:
        if self.token_cipher is None:
            raise TokenCipherMissingError("this Store has no token cipher (see shopify.tokens.token_cipher)")
        return self.token_cipher

    # -- policies ---------------------------------------------------------------------------------

    def get_policy(self, shop: str) -> Policy:
        """The shop's policy, or the defaults when the merchant never changed it."""
        raw = self.redis.get(self._policy_key(shop))
        return Policy.model_validate_json(raw) if raw else Policy()

    def save_policy(self, shop: str, policy: Policy) -> None:
        self.redis.set(self._policy_key(shop), policy.model_dump_json())

    # -- cancellation requests --------------------------------------------------------------------

    def get_request(self, request_id: str) -> CancellationRequest | None:
        raw = self.redis.get(self._request_key(request_id))
        return CancellationRequest.model_validate_json(raw) if raw else None

    def request_for_order(self, shop: str, order_id: int) -> CancellationRequest | None:
        request_id = self.redis.get(self._order_request_key(shop, order_id))
        return self.get_request(request_id.decode()) if request_id else None

    def create_request(
        self,
        request: CancellationRequest,
        enqueue: Callable[[Pipeline], None] | None = None,
    ) -> tuple[CancellationRequest, bool]:
        """Store ``request`` unless the order already has one; returns (the order's request, created).

        The record, the (shop, order) index and the job ``enqueue`` adds to the pipeline are written in one
        MULTI/EXEC: concurrent duplicates produce exactly one record and one job, and a Redis failure leaves
        nothing half-written.
        """
        index_key = self._order_request_key(request.shop, request.order_id)
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(index_key)
                    existing_id = pipe.get(index_key)
                    if existing_id:
                        pipe.unwatch()
                        existing = self.get_request(existing_id.decode())
                        if existing is not None:
                            return existing, False
                        raise RequestChangedError(f"index points at a missing request for order {request.order_id}")
                    pipe.multi()
                    pipe.set(self._request_key(request.id), request.model_dump_json())
                    pipe.set(index_key, request.id)
                    pipe.zadd(self._shop_requests_key(request.shop), {request.id: request.created_at.timestamp()})
                    if enqueue is not None:
                        enqueue(pipe)
                    pipe.execute()
                    return request, True
                except redis.WatchError:
                    continue
        raise RequestChangedError(f"could not create a request for order {request.order_id}")

    def update_request(
        self,
        request_id: str,
        change: Callable[[CancellationRequest], None],
        enqueue: Callable[[Pipeline], None] | None = None,
    ) -> CancellationRequest:
        """Apply ``change`` to the stored request atomically (optimistic WATCH/MULTI, retried on conflict)."""
        return self._update(self._request_key(request_id), CancellationRequest, change, enqueue, missing=request_id)

    def _update(
        self,
        key: str,
        model: type[Record],
        change: Callable[[Record], None],
        enqueue: Callable[[Pipeline], None] | None,
        *,
        missing: str,
    ) -> Record:
        """Read, change and write one JSON record in a WATCH/MULTI transaction, retried on conflict.

        ``enqueue`` adds writes (an RQ job) to the same transaction, so the record and its job land together.
        When the connection drops after EXEC, redis-py cannot tell whether it ran and raises WatchError; if the
        record now reads exactly as this attempt wrote it, it did run, and ``change`` is not applied twice.
        """
        attempted: bytes | None = None
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        raise KeyError(missing)
                    if attempted is not None and raw == attempted:
                        pipe.unwatch()
                        return model.model_validate_json(raw)
                    record = model.model_validate_json(raw)
                    change(record)
                    attempted = record.model_dump_json().encode()
                    pipe.multi()
                    pipe.set(key, attempted)
                    if enqueue is not None:
                        enqueue(pipe)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue
        raise RequestChangedError(f"{missing} kept changing")

    def iter_shop_requests(self, shop: str, batch: int = 1000) -> Iterator[CancellationRequest]:
        """Every request of the shop, newest first, ``batch`` at a time (for erasure and exports: no limit)."""
        return self._iter_records(self._shop_requests_key(shop), self._request_key, CancellationRequest, batch)

    def shop_requests(self, shop: str, limit: int = 10_000) -> list[CancellationRequest]:
        """The shop's newest ``limit`` requests, newest first (one round trip for the records)."""
        return list(itertools.islice(self.iter_shop_requests(shop, batch=limit), limit))

    def _iter_records(
        self, index_key: str, record_key: Callable[[str], str], model: type[Record], batch: int
    ) -> Iterator[Record]:
        """The records a sorted-set index lists, newest first, read ``batch`` at a time (one MGET each)."""
        start = 0
        while True:
            members = self.redis.zrevrange(index_key, start, start + batch - 1)
            if not members:
                return
            raws = self.redis.mget([record_key(member.decode()) for member in members])
            yield from (model.model_validate_json(raw) for raw in raws if raw)
            start += batch

    # -- fulfillment holds ---------------------------------------------------------------------------

    @staticmethod
    def _hold_key(shop: str, order_id: int) -> str:
        return f"{KEY_PREFIX}:hold:{shop}:{order_id}"

    def create_hold(self, record: FulfillmentHoldRecord, enqueue: Callable[[Pipeline], None] | None = None) -> bool:
        """Store a new hold record (and its job, in the same transaction); False when the order has one already."""
        key = self._hold_key(record.shop, record.order_id)
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        return False
                    pipe.multi()
                    pipe.set(key, record.model_dump_json())
                    created = record.created_at.timestamp()
                    pipe.zadd(f"{KEY_PREFIX}:holds:{record.shop}", {str(record.order_id): created})
                    if enqueue is not None:
                        enqueue(pipe)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise RequestChangedError(f"hold of order {record.order_id} kept changing")

    def get_hold(self, shop: str, order_id: int) -> FulfillmentHoldRecord | None:
        raw = self.redis.get(self._hold_key(shop, order_id))
        return FulfillmentHoldRecord.model_validate_json(raw) if raw else None

    def update_hold(
        self,
        shop: str,
        order_id: int,
        change: Callable[[FulfillmentHoldRecord], None],
        enqueue: Callable[[Pipeline], None] | None = None,
    ) -> FulfillmentHoldRecord:
        """Apply ``change`` to the stored hold record atomically; KeyError when there is none."""
        key = self._hold_key(shop, order_id)
        return self._update(key, FulfillmentHoldRecord, change, enqueue, missing=f"hold of order {order_id}")

    def shop_holds(self, shop: str, limit: int = 1000) -> list[FulfillmentHoldRecord]:
        """The shop's newest ``limit`` hold records, newest first."""
        return list(itertools.islice(self.iter_shop_holds(shop, batch=min(limit, 500)), limit))

    def iter_shop_holds(self, shop: str, batch: int = 500) -> Iterator[FulfillmentHoldRecord]:
        """Every hold record of the shop, newest first, read ``batch`` at a time (for jobs, not requests)."""
        return self._iter_records(
            f"{KEY_PREFIX}:holds:{shop}", lambda member: self._hold_key(shop, int(member)), FulfillmentHoldRecord, batch
        )

    # -- webhooks -----------------------------------------------------------------------------------

    def first_delivery(self, delivery_id: str, remember_seconds: int) -> bool:
        """True the first time a webhook delivery id is seen (Shopify may deliver one twice)."""
        return bool(self.redis.set(f"{KEY_PREFIX}:webhook:{delivery_id}", 1, nx=True, ex=remember_seconds))

    def forget_delivery(self, delivery_id: str) -> None:
        self.redis.delete(f"{KEY_PREFIX}:webhook:{delivery_id}")

    def erase_customer(self, shop: str, customer_id: int) -> int:
        """Erase what the shop's data holds of one customer (customers/redact); returns how many requests.

        Their requests go with their notes and timelines, their data-request exports too, and the audit entries
        about those requests keep who did what and when, but not the texts.
        """
        doomed = [r for r in self.iter_shop_requests(shop) if r.customer_id == customer_id]
        with self.redis.pipeline() as pipe:
            for request in doomed:
                pipe.delete(self._request_key(request.id), self._order_request_key(shop, request.order_id))
                pipe.zrem(self._shop_requests_key(shop), request.id)
            exports = list(self.redis.scan_iter(f"{KEY_PREFIX}:data-request:{shop}:*", count=500))
            for key, raw in zip(exports, self.redis.mget(exports) if exports else [], strict=True):
                if raw is not None and json.loads(raw).get("customer_id") == customer_id:
                    pipe.delete(key)
            pipe.execute()
        self._scrub_audit(shop, {request.id for request in doomed})
        return len(doomed)

    def _scrub_audit(self, shop: str, subjects: set[str]) -> None:
        """Drop the before/after texts of the audit entries about ``subjects`` (their order kept)."""
        if not subjects:
            return
        key = f"{KEY_PREFIX}:audit:{shop}"
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    entries = [json.loads(raw) for raw in pipe.lrange(key, 0, -1)]
                    for entry in entries:
                        if entry.get("subject") in subjects:
                            entry["before"] = entry["after"] = "erased (customers/redact)"
                    pipe.multi()
                    pipe.delete(key)
                    if entries:
                        pipe.rpush(key, *(json.dumps(entry) for entry in entries))
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        raise RequestChangedError(f"the audit log of {shop} kept changing")

    def delete_shop(self, shop: str) -> None:
        """Erase everything the app holds about the shop."""
        requests = list(self.iter_shop_requests(shop))
        with self.redis.pipeline() as pipe:
            for request in requests:
                pipe.delete(self._request_key(request.id), self._order_request_key(shop, request.order_id))
            pipe.delete(
                self._shop_requests_key(shop),
                self._policy_key(shop),
                self._shop_key(shop),
                f"{KEY_PREFIX}:audit:{shop}",
                f"{KEY_PREFIX}:proxy-path:{shop}",
            )
            # The uninstall mark stays: it is no shop data (a flag and a token's digest), and without it the revoked
            # SHOPIFY_ACCESS_TOKEN of a custom app would count as installed again at the next restart.
            for hold in self.iter_shop_holds(shop):
                pipe.delete(self._hold_key(shop, hold.order_id))
            pipe.delete(f"{KEY_PREFIX}:holds:{shop}")
            for key in self.redis.scan_iter(f"{KEY_PREFIX}:data-request:{shop}:*"):
                pipe.delete(key)
            pipe.execute()

    def save_data_request(self, shop: str, request_id: str, export: dict[str, object]) -> None:
        """Keep a customer's data export for the merchant to fetch (Shopify gives 30 days to answer)."""
        self.redis.set(f"{KEY_PREFIX}:data-request:{shop}:{request_id}", json.dumps(export), ex=90 * 24 * 3600)

    def data_request(self, shop: str, request_id: str) -> dict[str, object] | None:
        raw = self.redis.get(f"{KEY_PREFIX}:data-request:{shop}:{request_id}")
        return json.loads(raw) if raw else None

    def forget_shop(self, shop: str, configured_token: str | None = None) -> None:
        """Drop the shop's access token and remember the uninstall (the token no longer works).

        The mark keeps a configured fallback token from being used and tells storefront visitors and staff why
        nothing works; installing again (any new token) clears it. It holds a digest of the token Shopify
        revoked (the stored one, else ``configured_token``, the custom app's), so SHOPIFY_ACCESS_TOKEN registered
        again at a restart does not count as new. A repeated delivery, which finds no token, keeps the digest.
        """
        try:
            revoked = self.access_token(shop) or configured_token
        except TokenCipherMissingError:
            revoked = configured_token
        with self.redis.pipeline() as pipe:
            pipe.delete(self._shop_key(shop))
            if revoked:
                pipe.set(self._uninstalled_key(shop), token_digest(revoked))
            else:
                pipe.set(self._uninstalled_key(shop), "1", nx=True)
            pipe.execute()

    def is_uninstalled(self, shop: str) -> bool:
        return bool(self.redis.exists(self._uninstalled_key(shop)))

    def revoked_by_uninstall(self, shop: str, access_token: str) -> bool:
        """Whether ``access_token`` is the one the shop's uninstall revoked."""
        mark = self.redis.get(self._uninstalled_key(shop))
        return mark is not None and mark.decode() == token_digest(access_token)

    @staticmethod
    def _uninstalled_key(shop: str) -> str:
        return f"{KEY_PREFIX}:uninstalled:{shop}"

    # -- audit --------------------------------------------------------------------------------------

    def add_audit_entry(self, shop: str, entry: dict[str, object]) -> None:
        self.redis.lpush(f"{KEY_PREFIX}:audit:{shop}", json.dumps(entry))

    def audit_entries(self, shop: str, limit: int = 100) -> list[dict[str, object]]:
        """The newest ``limit`` audit entries of the shop."""
        return [json.loads(raw) for raw in self.redis.lrange(f"{KEY_PREFIX}:audit:{shop}", 0, limit - 1)]

    # -- the shop's storefront proxy path ------------------------------------------------------------

    def remember_proxy_path(self, shop: str, path_prefix: str) -> bool:
        """Store the proxy path Shopify reports for the shop; True when it is new or changed."""
        previous = self.redis.set(f"{KEY_PREFIX}:proxy-path:{shop}", path_prefix, get=True)
        return previous is None or previous.decode() != path_prefix

    def proxy_path(self, shop: str) -> str | None:
        value = self.redis.get(f"{KEY_PREFIX}:proxy-path:{shop}")
        return value.decode() if value else None

    def forget_proxy_path(self, shop: str) -> None:
        """Drop the remembered path, so the next storefront request syncs it again."""
        self.redis.delete(f"{KEY_PREFIX}:proxy-path:{shop}")

    # -- rate limiting ----------------------------------------------------------------------------

    def count_hit(self, name: str, window_seconds: int, now: float) -> int:
        """Count one hit in the fixed window containing ``now``; returns the hits so far in that window."""
        window = int(now // window_seconds)
        key = f"{KEY_PREFIX}:rate:{name}:{window}"
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds + 1)
            hits, _ = pipe.execute()
        return int(hits)
