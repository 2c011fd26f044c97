"""Workers take the shops' queues in turn: one shop's backlog does not hold back another shop's cancellation."""

from __future__ import annotations

from rq import Queue

from storefront_proxy.job_queue import QUEUE_NAMES, make_queue, shop_queue, shop_queue_name
from workers.worker import SelfServiceWorker

BUSY = "busy-teashop.myshopify.com"
QUIET = "quiet-teashop.myshopify.com"


def test_every_shop_has_one_queue_of_the_ones_workers_take_from():
    assert shop_queue_name(BUSY) == shop_queue_name(BUSY) in QUEUE_NAMES
    assert shop_queue_name(BUSY) != shop_queue_name(QUIET), "the test needs two shops in different queues"
    assert len({shop_queue_name(f"shop-{n}.myshopify.com") for n in range(200)}) == len(QUEUE_NAMES) - 1


def test_a_quiet_shops_job_runs_next_to_a_busy_shops_backlog(redis_conn):
    base = make_queue(redis_conn)
    for n in range(20):
        shop_queue(base, BUSY).enqueue("tests.job_recorder.note", "ran", f"busy-{n}")
    shop_queue(base, QUIET).enqueue("tests.job_recorder.note", "ran", "quiet")
    base.enqueue("tests.job_recorder.note", "ran", "webhook")
    queues = [Queue(name, connection=redis_conn) for name in QUEUE_NAMES]
    SelfServiceWorker(queues, connection=redis_conn).work(burst=True)
    ran = [name.decode() for name in redis_conn.lrange("ran", 0, -1)]
    assert len(ran) == 22
    assert ran.index("quiet") <= 2 and ran.index("webhook") <= 2, ran


def test_a_job_taken_from_any_queue_waits_in_its_intermediate_list_until_it_is_started(redis_conn):
    """rq's own safe dequeue covers one queue only; with the shops' queues a worker killed right after taking a
    job would have lost it. Maintenance puts back what it finds there (rq's IntermediateQueue.cleanup)."""
    from workers.worker import SafeRoundRobinQueue

    base = make_queue(redis_conn)
    job = shop_queue(base, QUIET).enqueue("tests.job_recorder.note", "ran", "quiet")
    queues = [Queue(name, connection=redis_conn) for name in QUEUE_NAMES]
    taken, queue = SafeRoundRobinQueue.dequeue_any(queues, None, connection=redis_conn)
    assert taken.id == job.id and queue.name == shop_queue_name(QUIET)
    assert queue.intermediate_queue.get_job_ids() == [job.id], "the worker dies here: the job is still in Redis"

    shop_queue(base, QUIET).enqueue("tests.job_recorder.note", "ran", "again")
    SelfServiceWorker(queues, connection=redis_conn).work(burst=True)
    assert [job_id for job_id in queue.intermediate_queue.get_job_ids() if job_id != job.id] == []


def test_a_job_run_in_the_worker_process_keeps_its_heartbeat_while_it_runs(redis_conn, monkeypatch):
    """rq's parent process heartbeats a work horse's job; a job run in the worker itself (the cancellations') needs
    the same, or one waiting on Shopify past its heartbeat's TTL is taken for abandoned and run twice."""

    from workers import worker as worker_module

    monkeypatch.setattr(worker_module, "IN_PROCESS_JOBS", frozenset({"tests.job_recorder.note_heartbeats"}))
    base = make_queue(redis_conn)
    job = base.enqueue("tests.job_recorder.note_heartbeats", "beats", 2.5)
    worker = SelfServiceWorker([base], connection=redis_conn, job_monitoring_interval=1)
    monkeypatch.setattr(worker, "fork_work_horse", lambda *_: (_ for _ in ()).throw(AssertionError("forked")))
    worker.work(burst=True)
    assert job.get_status(refresh=True).value == "finished", job.exc_info
    beats = {beat.decode() for beat in redis_conn.lrange("beats", 0, -1)}
    assert len(beats) >= 3, f"the heartbeat moved {len(beats) - 1} times in 2.5 s at 1 s intervals"


def test_the_cancellation_jobs_run_in_the_worker_process():
    from storefront_proxy.cancellations.enqueue import CANCEL_JOB, CONFIRM_JOB
    from storefront_proxy.webhooks.enqueue import WEBHOOK_JOB
    from workers.worker import IN_PROCESS_JOBS

    assert {CANCEL_JOB, CONFIRM_JOB, WEBHOOK_JOB} <= IN_PROCESS_JOBS


def test_stopping_a_job_that_runs_in_the_worker_process_does_not_kill_the_workers_process_group(
    redis_conn, monkeypatch
):
    """rq's stop-job kills the horse's process group; with no horse, os.getpgid(0) is the worker's own."""
    import os

    killed = []
    monkeypatch.setattr(os, "killpg", lambda *args: killed.append(args))
    worker = SelfServiceWorker([make_queue(redis_conn)], connection=redis_conn)
    worker._horse_pid = 0
    worker.kill_horse()
    assert killed == []
