"""The RQ queue the web app and the jobs hand work to; each concept's ``enqueue`` module queues its own jobs.

Jobs are named by their import path (``workers.<concept>.<function>``), so the web app never imports worker code.
"""

from __future__ import annotations

import zlib

import redis
from rq import Queue

QUEUE_NAME = "cancellations"
# A shop's cancellations (and the looks at them) go to one of SHOP_QUEUES queues, chosen by the shop's domain, and
# workers take from the queues in turn (``workers/worker.py``: rq's round_robin dequeue strategy). One shop's
# backlog then fills its own queue only: another shop's cancellation waits behind one job of each busy queue, not
# behind the backlog. Two shops whose domains fall in the same queue share its order.
SHOP_QUEUES = 16
QUEUE_NAMES = [QUEUE_NAME, *(f"{QUEUE_NAME}-{number:02d}" for number in range(SHOP_QUEUES))]
# Kept for the life of a job record once it is done, or has failed (for support and operators).
RESULT_TTL_SECONDS = 24 * 60 * 60
FAILURE_TTL_SECONDS = 30 * 24 * 60 * 60


def make_queue(connection: redis.Redis) -> Queue:
    """The queue of everything not done for one shop's cancellations (webhooks, reviews, proxy paths, holds)."""
    return Queue(QUEUE_NAME, connection=connection)


def shop_queue_name(shop: str) -> str:
    return QUEUE_NAMES[1 + zlib.crc32(shop.encode()) % SHOP_QUEUES]


def shop_queue(queue: Queue, shop: str) -> Queue:
    """The queue of the shop's cancellations, on ``queue``'s connection."""
    return Queue(shop_queue_name(shop), connection=queue.connection, serializer=queue.serializer)
