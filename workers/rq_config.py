"""Settings module for ``rq worker -c workers.rq_config`` (rq reads REDIS_URL and QUEUES from it).

Importing it also registers the configured custom-app shop, so web and worker see the same token.
"""

from __future__ import annotations

import logging

# The jobs' modules, loaded once here: rq forks a work horse per job from this process, and a horse that had to
# import them (the app's models, every GraphQL document parsed and printed) spent ~150 ms on it before each job.
import workers.cancellations  # noqa: F401
import workers.holds  # noqa: F401
import workers.proxy_path  # noqa: F401
import workers.review  # noqa: F401
import workers.webhooks  # noqa: F401
from storefront_proxy.job_queue import QUEUE_NAMES
from storefront_proxy.settings import load_settings_or_exit
from storefront_proxy.storage import REDIS_UNAVAILABLE, connect, warn_if_not_durable
from storefront_proxy.store import Store
from storefront_proxy.tokens.lifecycle import register_configured_shop
from storefront_proxy.tokens.model import token_cipher

_settings = load_settings_or_exit()

REDIS_URL = _settings.redis_url
# The shared queue and the shops' queues, taken from in turn (workers/worker.py).
QUEUES = QUEUE_NAMES

_redis = connect(_settings.redis_url)
warn_if_not_durable(_redis, "worker")
try:
    register_configured_shop(_settings, Store(_redis, token_cipher(_settings)))
except REDIS_UNAVAILABLE:
    logging.getLogger(__name__).warning("Redis unreachable at worker start-up; the shop lookup falls back to settings")
