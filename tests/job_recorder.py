"""A job that only notes that it ran, in order (for tests of how workers take jobs)."""

from __future__ import annotations

from rq import get_current_job


def note(key: str, name: str) -> None:
    job = get_current_job()
    assert job is not None
    job.connection.rpush(key, name)


def note_heartbeats(key: str, seconds: float) -> None:
    """Run for ``seconds``, noting the job's last heartbeat as Redis has it along the way."""
    import time

    job = get_current_job()
    assert job is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh()
        job.connection.rpush(key, str(job.last_heartbeat))
        time.sleep(0.2)
