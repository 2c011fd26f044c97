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

The worker takes from its queues in turn (rq's round_robin dequeue strategy), not in their order: the shops'
cancellations are spread over several queues (``storefront_proxy/job_queue.py``), so one shop's backlog cannot
hold back another shop's cancellation. rq moves a dequeued job to an intermediate list until it is registered as
started (so a worker killed in between loses nothing: maintenance puts it back) only when a worker has one queue;
with several it pops with BLPOP, and a job popped by a worker killed right then would be gone.
``SafeRoundRobinQueue`` moves it for every queue (LMOVE, in the worker's order, in one script).

The jobs every cancellation and edit runs (webhooks, the cancel and edit jobs, the looks at Shopify's Job) run
in the worker process itself, as rq's SimpleWorker runs every job: a fork per job (rq's Worker) cost more than
the job, and held a Plus shop's drain to about half of what its Shopify rate limit allows. rq's timeout still applies
(perform_job's death penalty). While such a job runs, a thread keeps its heartbeat as rq's parent process keeps
a work horse's (``maintain_heartbeats`` every job monitoring interval), so a job that waits on Shopify longer
than a heartbeat's TTL is not taken for abandoned, and a worker killed mid-job has its job noticed as quickly
as a dead horse's. Other jobs (holds, reviews, the proxy path) still fork: they are rare, and a fork keeps what
they load out of the long-lived worker.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import DequeueTimeout
from rq.executions import Execution
from rq.job import Job
from rq.utils import as_text, now
from rq.worker import DequeueStrategy, WorkerStatus
from rq.worker.base import SHUTDOWN_SIGNAL

from storefront_proxy.cancellations.enqueue import CANCEL_JOB, CONFIRM_JOB
from storefront_proxy.edits.enqueue import EDIT_JOB
from storefront_proxy.storage import waiting_retry
from storefront_proxy.webhooks.enqueue import WEBHOOK_JOB

JOB_MONITORING_INTERVAL = 5
HEARTBEAT_GRACE_SECONDS = 10
MAINTENANCE_INTERVAL = 30
# As rq's monitor_work_horse: a job still running this long past its timeout is killed.
HUNG_JOB_GRACE_SECONDS = 60
# Jobs run without a work horse (and the name earlier versions queued webhooks as): see the module's docstring.
IN_PROCESS_JOBS = frozenset({WEBHOOK_JOB, "workers.jobs.handle_webhook", CANCEL_JOB, CONFIRM_JOB, EDIT_JOB})


# How often an idle worker looks at its queues again (one script for all of them).
IDLE_POLL_SECONDS = 0.1
# The first job of the queues KEYS[1], KEYS[3], ... (in that order), moved to the queue's intermediate list
# (KEYS[2], KEYS[4], ...), as rq's single-queue dequeue does with LMOVE.
_MOVE_FIRST_JOB = """
for i = 1, #KEYS, 2 do
  local job_id = redis.call('LMOVE', KEYS[i], KEYS[i + 1], 'LEFT', 'RIGHT')
  if job_id then return {KEYS[i], job_id} end
end
return false
"""


class SafeRoundRobinQueue(Queue):
    """rq's Queue, dequeuing from several queues through their intermediate lists (see the module's docstring)."""

    @classmethod
    def dequeue_any(
        cls,
        queues: Iterable[Queue],
        timeout: int | None,
        connection: Redis,
        job_class: type[Job] | None = None,
        serializer: Any = None,
        death_penalty_class: Any = None,
    ) -> tuple[Job, Queue] | None:
        ordered = list(queues)
        keys = [key for queue in ordered for key in (queue.key, queue.intermediate_queue_key)]
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            found = connection.eval(_MOVE_FIRST_JOB, len(keys), *keys)
            if found:
                queue_key, job_id = (as_text(part) for part in found)
                fetched = cls._fetch_dequeued_job(
                    connection,
                    queue_key,
                    job_id,
                    job_class=job_class,
                    serializer=serializer,
                    death_penalty_class=death_penalty_class,
                )
                if fetched is not None:
                    return fetched
                continue
            if give_up is None:
                return None
            if time.monotonic() >= give_up:
                raise DequeueTimeout(timeout, [queue.key for queue in ordered])
            time.sleep(IDLE_POLL_SECONDS)


class SelfServiceWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # rq's CLI always passes its own defaults, so adjust them unless they were changed on purpose.
        if kwargs.get("job_monitoring_interval") in (None, 30):
            kwargs["job_monitoring_interval"] = JOB_MONITORING_INTERVAL
        if kwargs.get("maintenance_interval") in (None, 600):
            kwargs["maintenance_interval"] = MAINTENANCE_INTERVAL
        super().__init__(*args, **kwargs)
        self.connection.set_retry(waiting_retry())
        # After rq's check that the queues given are its Queues (the CLI makes plain ones): only dequeuing changes.
        self.queue_class = SafeRoundRobinQueue

    def work(self, *args: Any, **kwargs: Any) -> bool:
        # rq's CLI passes its default strategy unless told otherwise; the shops' queues need theirs taken in turn.
        if kwargs.get("dequeue_strategy") in (None, DequeueStrategy.DEFAULT):
            kwargs["dequeue_strategy"] = DequeueStrategy.ROUND_ROBIN
        return super().work(*args, **kwargs)

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        # Every dequeue went through the intermediate list (SafeRoundRobinQueue); rq clears it only for one queue.
        super().prepare_job_execution(job, remove_from_intermediate_queue=True)

    def execute_job(self, job: Job, queue: Queue) -> None:
        if job.func_name not in IN_PROCESS_JOBS:
            super().execute_job(job, queue)
            return
        # rq's SimpleWorker.execute_job, with the heartbeats its parent process would keep.
        execution = self.prepare_execution(job)
        with self._heartbeats(job, execution):
            self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)

    @contextmanager
    def _heartbeats(self, job: Job, execution: Execution) -> Iterator[None]:
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.job_monitoring_interval):
                working = (now() - job.started_at).total_seconds() if job.started_at else 0.0
                if job.timeout and job.timeout > 0 and working > job.timeout + HUNG_JOB_GRACE_SECONDS:
                    # rq kills a horse its timeout could not stop (monitor_work_horse); a job in this process
                    # takes the process with it, and the heartbeat lapsing lets maintenance run it again.
                    self.log.error("job %s outlived its timeout by %d s: the worker exits", job.id, working)
                    os._exit(1)
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception:  # Redis away for now: the next beat tries again, the job goes on
                    self.log.warning("heartbeat of job %s failed", job.id, exc_info=True)

        beating = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        beating.start()
        try:
            yield
        finally:
            done.set()
            beating.join()

    def kill_horse(self, sig: signal.Signals = SHUTDOWN_SIGNAL) -> None:
        # rq's stop-job command kills the horse's process group; with the job in this process there is no horse,
        # and os.getpgid(0) would be the worker's own group. The job runs on to its end or its timeout.
        if not self.horse_pid:
            self.log.warning("no work horse to stop: the job runs in the worker process")
            return
        super().kill_horse(sig)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker blocks in BLPOP for this long and only runs maintenance between two waits.
        return max(1, min(self.worker_ttl - 15, self.maintenance_interval))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if job.timeout and job.timeout > 0:
            remaining = max(job.timeout - working_time, 1)
            return int(min(remaining, self.job_monitoring_interval)) + HEARTBEAT_GRACE_SECONDS
        return self.job_monitoring_interval + HEARTBEAT_GRACE_SECONDS
