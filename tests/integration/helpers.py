"""What the integration tests share: the shopper's and staff's requests through the devshop."""

from __future__ import annotations

import requests

from storefront_proxy.holds.records import HoldStatus
from storefront_proxy.store import Store
from tests.factories import cancel_job_ids
from tests.helpers import session_token
from tests.integration.conftest import ADA, SHOP, wait_until

JSON = {"Accept": "application/json"}


PREFIX = "/apps/self-service"


def order_url(devshop_server, order_id: int, suffix: str = "") -> str:
    return f"{devshop_server.url}{PREFIX}/orders/{order_id}{suffix}"


def ask_to_cancel(session, devshop_server, order_id: int, reason: str = "changed_mind", note: str | None = None):
    page = session.get(order_url(devshop_server, order_id), headers=JSON, timeout=10)
    assert page.status_code == 200, page.text
    body = {"reason": reason, "csrf_token": page.json()["csrf_token"], **({"note": note} if note else {})}
    return session.post(order_url(devshop_server, order_id, "/cancellation"), json=body, headers=JSON, timeout=10)


def cancel_jobs(redis_conn) -> list[str]:
    """Queued cancellation jobs (the queue also carries the proxy-path sync)."""
    return cancel_job_ids(redis_conn, SHOP)


def new_order(devshop, **kwargs) -> int:
    return devshop.create_order(customer_id=ADA, **kwargs)


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {session_token(SHOP)}", "Accept": "application/json"}


def send(devshop_server, topic: str, payload: dict) -> None:
    answer = requests.post(
        f"{devshop_server.url}/devshop/webhooks/send", json={"topic": topic, "payload": payload}, timeout=5
    )
    assert answer.status_code == 202, answer.text


def hold_status(store: Store, order_id: int, statuses: set[HoldStatus], timeout: float = 20.0):
    def reached():
        record = store.holds.get(SHOP, order_id)
        return record if record is not None and record.status in statuses else None

    return wait_until(reached, timeout, message=f"the hold of order {order_id} to reach {statuses}")


def holds_on(devshop, order_id: int) -> list[tuple[str, str]]:
    return [(h.gid, h.held_by) for fo in devshop.get_order(order_id).fulfillment_orders for h in fo.holds]
