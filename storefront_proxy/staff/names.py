"""Learning a staff member's name, so the admin can say who did what: once per staff member and shop.

Shopify tells an app who a session token's ``sub`` is only in the answer to an online token exchange
(``associated_user``: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange).
The name is kept, the online token never is. The name is a nicety: a lookup that fails is logged and forgotten,
and the next one waits a minute (``StaffNames.claim_lookup``), so Shopify is never asked on every admin request;
one Shopify answered without a name, or refused, waits a day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from storefront_proxy.shopify.errors import ShopifyError, ShopifyTransientError
from storefront_proxy.store import Store

log = logging.getLogger(__name__)


def learn_staff_name(
    store: Store, shop: str, staff_id: str, look_up: Callable[[], str | None], now: datetime
) -> str | None:
    """Look the staff member's name up with ``look_up`` when it is not known (or old); returns a name just learned.

    ``look_up`` asks Shopify; whatever it raises is logged (its type, and for Shopify's errors their code-only
    message) and ignored: the admin request that triggered it goes on without the name.
    """
    names = store.staff_names
    if not names.needs_lookup(shop, staff_id, now) or not names.claim_lookup(shop, staff_id):
        return None
    try:
        name = look_up()
    except ShopifyTransientError as exc:
        log.warning("staff name lookup failed: %s", exc, extra={"shop": shop})
        return None
    except ShopifyError as exc:
        log.warning("staff name lookup refused: %s", exc, extra={"shop": shop})
        names.pause_lookup(shop, staff_id)
        return None
    except Exception as exc:  # a nicety must never fail the admin page; the error's text may carry a token
        log.warning("staff name lookup failed: %s", type(exc).__name__, extra={"shop": shop})
        return None
    if not name:
        log.info("Shopify named no staff member for the session token", extra={"shop": shop})
        names.pause_lookup(shop, staff_id)
        return None
    names.remember(shop, staff_id, name, now)
    return name
