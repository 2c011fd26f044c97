"""What the web app's views and commands use, built once by ``create_app``, with typed accessors.

Flask keeps per-app objects in ``app.extensions`` (flask docs, "Extension Development"); ``services()`` is the
one place that reads them back, typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from rq import Queue

from storefront_proxy.cancellations.request_orders import RequestOrders
from storefront_proxy.cancellations.review import Review
from storefront_proxy.cancellations.storefront import Cancellations
from storefront_proxy.edits.storefront import Edits
from storefront_proxy.holds.service import HoldSupport
from storefront_proxy.policy.changes import PolicyChanges
from storefront_proxy.settings import Settings
from storefront_proxy.store import Store

EXTENSION = "self_service"


@dataclass
class Services:
    settings: Settings
    store: Store
    queue: Queue
    clock: Callable[[], datetime]
    # The storefront's use cases (the shopper's orders and cancellation requests).
    cancellations: Cancellations
    # The storefront's edit use cases (what may change, asking to change it).
    edits: Edits
    # Support's use cases: the review queue (and the requests' orders), the policy and the fulfillment holds.
    review: Review
    request_orders: RequestOrders
    policies: PolicyChanges
    holds: HoldSupport


def init_app(app: Flask, built: Services) -> None:
    app.extensions[EXTENSION] = built


def services_of(app: Flask) -> Services:
    """``app``'s services (for tests and commands holding the app)."""
    built: Services = app.extensions[EXTENSION]
    return built


def find_services(app: Flask) -> Services | None:
    """``app``'s services, or None for an app ``create_app`` did not build."""
    found: Services | None = app.extensions.get(EXTENSION)
    return found


def services() -> Services:
    """The current app's services (in a request or an app context)."""
    return services_of(current_app)
