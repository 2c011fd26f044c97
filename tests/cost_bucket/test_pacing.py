"""Every process's calls to a shop are paced by one cost bucket in Redis, kept in step with Shopify's figures."""

from __future__ import annotations

import json

import pytest
import responses

from storefront_proxy.cost_bucket.repository import DEFAULT_MAXIMUM, CostBuckets
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import ShopifyThrottledError
from tests.helpers import ADMIN_URL, SHOP, TOKEN, admin_order

pytestmark = pytest.mark.usefixtures("redis_conn")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def status(available: float, maximum: float = 100.0, rate: float = 10.0) -> dict:
    return {"currentlyAvailable": available, "maximumAvailable": maximum, "restoreRate": rate}


def take(buckets: CostBuckets, shop: str, cost: float, max_wait: float) -> tuple[bool, float]:
    """Whether the points were taken, and the wait."""
    reservation = buckets.reserve(shop, cost, max_wait)
    return reservation.granted, reservation.wait


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def buckets(redis_conn, clock) -> CostBuckets:
    return CostBuckets(redis_conn, clock)


def test_a_call_that_fits_goes_at_once_and_the_next_ones_wait_their_turn(buckets):
    buckets.settle(SHOP, 0, status(available=50))  # Shopify: 50 of 100 left, 10 a second (less a point for rounding)
    assert take(buckets, SHOP, 30, max_wait=20) == (True, 0.0)
    assert take(buckets, SHOP, 30, max_wait=20) == (True, pytest.approx(1.1))
    assert take(buckets, SHOP, 30, max_wait=20) == (True, pytest.approx(4.1)), "behind the one already waiting"


def test_a_wait_longer_than_the_caller_allows_takes_nothing(buckets, clock):
    buckets.settle(SHOP, 0, status(available=11))
    assert take(buckets, SHOP, 30, max_wait=1.5) == (False, pytest.approx(2.0))
    clock.now += 2
    assert take(buckets, SHOP, 30, max_wait=1.5) == (True, 0.0)


def test_the_bucket_refills_at_shopifys_rate_up_to_its_maximum(buckets, clock):
    buckets.settle(SHOP, 0, status(available=1))
    clock.now += 5
    assert take(buckets, SHOP, 50, max_wait=0) == (True, 0.0)
    clock.now += 3600
    assert take(buckets, SHOP, 100, max_wait=0) == (True, 0.0)
    assert take(buckets, SHOP, 1, max_wait=0)[0] is False, "never more than maximumAvailable"


def test_what_a_call_did_not_spend_comes_back_but_shopifys_figure_is_never_exceeded(buckets):
    buckets.settle(SHOP, 0, status(available=61))
    assert take(buckets, SHOP, 60, max_wait=0) == (True, 0.0)
    buckets.settle(SHOP, 50, status(available=51))  # requested 60, actually cost 10
    assert take(buckets, SHOP, 50, max_wait=0) == (True, 0.0)
    buckets.settle(SHOP, 0, status(available=5))  # someone else spent: Shopify knows best
    assert take(buckets, SHOP, 10, max_wait=0)[0] is False


def test_two_processes_share_one_bucket(redis_conn, clock):
    web, worker = CostBuckets(redis_conn, clock), CostBuckets(redis_conn, clock)
    web.settle(SHOP, 0, status(available=61))
    assert take(web, SHOP, 30, max_wait=0) == (True, 0.0)
    assert take(worker, SHOP, 30, max_wait=0) == (True, 0.0)
    assert take(worker, SHOP, 30, max_wait=0)[0] is False


def test_before_shopifys_first_answer_the_standard_plans_bucket_is_assumed(buckets):
    assert take(buckets, SHOP, DEFAULT_MAXIMUM, max_wait=0) == (True, 0.0)
    assert take(buckets, SHOP, 1, max_wait=0)[0] is False


# -- the client -------------------------------------------------------------------------------------------------


def client(buckets, sleeps, max_wait=20.0) -> ShopifyClient:
    return ShopifyClient(
        SHOP,
        TOKEN,
        api_version="2026-10",
        admin_origin="https://admin.test",
        pacer=buckets,
        sleep=sleeps.append,
        max_throttle_wait=max_wait,
    )


class Sleeps(list):
    """The client's sleeps, which pass on the bucket's clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def append(self, seconds: float) -> None:
        super().append(seconds)
        self.clock.now += seconds


@pytest.fixture
def order_costs_30(monkeypatch):
    """The figures below are worked out for an order read estimated at 30 points."""
    from storefront_proxy.shopify import client as shopify_client

    monkeypatch.setitem(shopify_client.ESTIMATED_COSTS, "get_order", 30)


@responses.activate
def test_the_client_waits_for_its_points_and_gives_back_what_the_call_did_not_cost(buckets, clock, order_costs_30):
    body = {
        "data": {"order": admin_order(5001)},
        "extensions": {"cost": {"requestedQueryCost": 30, "actualQueryCost": 20, "throttleStatus": status(46)}},
    }
    responses.post(ADMIN_URL, json=body)
    sleeps = Sleeps(clock)
    buckets.settle(SHOP, 0, status(available=11))
    assert client(buckets, sleeps).get_order(5001) is not None
    assert sleeps == [pytest.approx(2.0)], "(30 - 10 counted) / 10 points a second"
    # 30 taken, 20 spent: 10 come back.
    assert take(buckets, SHOP, 10, max_wait=0) == (True, 0.0)
    assert take(buckets, SHOP, 1, max_wait=0)[0] is False


@responses.activate
def test_a_storefront_call_that_would_wait_too_long_is_not_sent(buckets, order_costs_30):
    responses.post(ADMIN_URL, json={})
    buckets.settle(SHOP, 0, status(available=1))
    with pytest.raises(ShopifyThrottledError) as raised:
        client(buckets, [], max_wait=1.5).get_order(5001)
    assert raised.value.retry_after == pytest.approx(3.0)
    assert len(responses.calls) == 0


@responses.activate
def test_a_throttled_answer_gives_back_the_points_and_takes_shopifys_figure(buckets, order_costs_30):
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {"requestedQueryCost": 30, "actualQueryCost": None, "throttleStatus": status(6)}},
    }
    answered = {"data": {"order": admin_order(5001)}, "extensions": {"cost": {"requestedQueryCost": 30}}}
    responses.post(ADMIN_URL, body=json.dumps(throttled))
    responses.post(ADMIN_URL, json=answered)
    sleeps: list[float] = []
    assert client(buckets, sleeps).get_order(5001) is not None
    # The first went out on the assumed bucket; Shopify said 6 left (5 counted): the retry waits for its 30.
    assert len(responses.calls) == 2 and sum(sleeps) >= 2.5


def test_an_answer_that_changes_nothing_costs_no_round_trip(buckets, monkeypatch):
    buckets.settle(SHOP, 0, status(available=61))
    reservation = buckets.reserve(SHOP, 30, max_wait=0)
    scripts: list[str] = []
    original = buckets.redis.eval
    monkeypatch.setattr(buckets.redis, "eval", lambda *args: scripts.append(args[0]) or original(*args))
    buckets.settle(SHOP, 0, status(available=31), reservation)  # 30 left, as the bucket knew: nothing to learn
    assert scripts == []
    buckets.settle(SHOP, 0, status(available=21), reservation)  # someone else spent: Shopify knows best
    buckets.settle(SHOP, 5, status(available=31), reservation)  # requested more than it cost
    assert len(scripts) == 2
