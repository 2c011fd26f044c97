"""The RQ queue the web app and the jobs hand work to; each concept's ``enqueue`` module queues its own jobs.

Jobs are named by their import path (``workers.<concept>.<function>``), so the web app never imports worker code.
"""

from __future__ import annotations

import redis
from rq import Queue

QUEUE_NAME = "cancellations"
# Kept for the life of a job record once it is done, or has failed (for support and operators).
RESULT_TTL_SECONDS = 24 * 60 * 60
FAILURE_TTL_SECONDS = 30 * 24 * 60 * 60


def make_queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection)
