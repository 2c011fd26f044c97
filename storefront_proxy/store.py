"""The app's data in Redis: one repository per concept, all on one connection.

Each repository's module owns its keys: ``cancellations/repository.py`` (requests), ``holds/repository.py``,
``tokens/repository.py``, ``policy/repository.py``, ``audit.py``, ``webhooks/deliveries.py``,
``webhooks/data_requests.py``, ``proxy_path/repository.py``, ``order_facts/repository.py`` (cached orders),
``cost_bucket/repository.py`` (Shopify's rate limit), ``staff/repository.py`` (staff members' names) and
``ratelimit.py``. The connection itself, and the
transactions and read batches they share, are ``storage.py``'s.
"""

from __future__ import annotations

import redis

from storefront_proxy.audit import AuditLog
from storefront_proxy.cancellations.repository import RequestRepository
from storefront_proxy.cost_bucket.repository import CostBuckets
from storefront_proxy.holds.repository import HoldRepository
from storefront_proxy.order_facts.repository import OrderFacts
from storefront_proxy.policy.repository import PolicyRepository
from storefront_proxy.proxy_path.repository import ProxyPaths
from storefront_proxy.ratelimit import RateCounter
from storefront_proxy.staff.repository import StaffNames
from storefront_proxy.storage import ReadBatch
from storefront_proxy.tokens.model import TokenCipher
from storefront_proxy.tokens.repository import TokenRepository
from storefront_proxy.webhooks.data_requests import DataRequestExports
from storefront_proxy.webhooks.deliveries import WebhookDeliveries


class Store:
    """Every repository of the app on ``connection``; tokens are sealed with ``token_cipher``."""

    def __init__(self, connection: redis.Redis, token_cipher: TokenCipher | None = None) -> None:
        self.redis = connection
        self.requests = RequestRepository(connection)
        self.holds = HoldRepository(connection)
        self.tokens = TokenRepository(connection, token_cipher)
        self.policies = PolicyRepository(connection)
        self.audit = AuditLog(connection)
        self.deliveries = WebhookDeliveries(connection)
        self.data_requests = DataRequestExports(connection)
        self.proxy_paths = ProxyPaths(connection)
        self.rates = RateCounter(connection)
        self.order_facts = OrderFacts(connection)
        self.cost_buckets = CostBuckets(connection)
        self.staff_names = StaffNames(connection)

    def batch(self) -> ReadBatch:
        """Reads (and small writes) of several repositories sent in one round trip."""
        return ReadBatch(self.redis)

    def with_token_cipher(self, token_cipher: TokenCipher) -> Store:
        """The same Redis with ``token_cipher`` for the shops' tokens."""
        return Store(self.redis, token_cipher)
