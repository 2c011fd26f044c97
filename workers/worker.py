"""The RQ worker class the Procfile runs: rq's Worker, tuned to notice a dead worker's job quickly.

rq marks a started job abandoned once its heartbeat lapses (rq/worker/base.py ``get_heartbeat_ttl``:
monitoring interval + 60 s), and only a worker's periodic maintenance (every 10 minutes by default)
re-queues it, between two blocking dequeues of up to 405 s. A cancellation waits while that happens, so
this worker heartbeats more often, lets a heartbeat lapse sooner, and runs maintenance every 30 s even when
idle. Jobs are idempotent, so a re-run is safe.

Redis may restart, or fail over, at any moment: the worker's connection (and its work horse's, and its scheduler's,
which are built from the same connection settings) waits for Redis to come back instead of raising. Without
that, rq's worker quits on the first ConnectionError outside its dequeue loop (a heartbeat while a job runs:
"found an unhandled exception, quitting"), and accepted requests wait for someone to restart it.

Webhook jobs run in the worker process itself, as rq's SimpleWorker runs every job: they only read and write
Redis, and a fork per job (rq's Worker) costs more than the job. rq's timeout still applies (perform_job).
"""

from __future__ import annotations

from typing import Any

from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from storefront_proxy.storage import waiting_retry
from storefront_proxy.webhooks.enqueue import WEBHOOK_JOB

JOB_MONITORING_INTERVAL = 5
HEARTBEAT_GRACE_SECONDS = 10
MAINTENANCE_INTERVAL = 30
# Jobs short and Redis-only enough to run without a work horse (and the name earlier versions queued them as).
IN_PROCESS_JOBS = frozenset({WEBHOOK_JOB, "workers.jobs.handle_webhook"})


class SelfServiceWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # rq's CLI always passes its own defaults, so adjust them unless they were changed on purpose.
        if kwargs.get("job_monitoring_interval") in (None, 30):
            kwargs["job_monitoring_interval"] = JOB_MONITORING_INTERVAL
        if kwargs.get("maintenance_interval") in (None, 600):
            kwargs["maintenance_interval"] = MAINTENANCE_INTERVAL
        super().__init__(*args, **kwargs)
        self.connection.set_retry(waiting_retry())

    def execute_job(self, job: Job, queue: Queue) -> None:
        if job.func_name not in IN_PROCESS_JOBS:
            super().execute_job(job, queue)
            return
        # rq's own in-process execution; it uses only what every rq worker has.
        SimpleWorker.execute_job(self, job, queue)  # type: ignore[arg-type]

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker blocks in BLPOP for this long and only runs maintenance between two waits.
        return max(1, min(self.worker_ttl - 15, self.maintenance_interval))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if job.timeout and job.timeout > 0:
            remaining = max(job.timeout - working_time, 1)
            return int(min(remaining, self.job_monitoring_interval)) + HEARTBEAT_GRACE_SECONDS
        return self.job_monitoring_interval + HEARTBEAT_GRACE_SECONDS
