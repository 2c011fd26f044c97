"""Jobs the token integration tests enqueue: real `rq worker` processes run them as they run the app's jobs."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from storefront_proxy.settings import get_settings
from storefront_proxy.storage import connect
from storefront_proxy.store import Store
from storefront_proxy.tokens.clients import client_for_shop
from storefront_proxy.tokens.lifecycle import shop_token


def use_shop_token(shop: str, barrier: str, parties: int) -> dict[str, Any]:
    """Once ``parties`` jobs have arrived, get the shop's token (refreshing it) and make one Admin API call."""
    settings = get_settings()
    store = Store(connect(settings.redis_url))
    store.redis.incr(barrier)
    deadline = time.monotonic() + 20
    while int(store.redis.get(barrier) or 0) < parties and time.monotonic() < deadline:
        time.sleep(0.01)
    token = shop_token(settings, store, shop)
    with client_for_shop(settings, store, shop, max_attempts=1, token=token) as client:
        installation = client.app_installation_id()
    # A digest, never the token itself, goes into the job's result.
    return {"token": hashlib.sha256(token.encode()).hexdigest(), "pid": os.getpid(), "installation": installation}
