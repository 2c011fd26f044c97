"""A job that only notes that it ran, in order (for tests of how workers take jobs)."""

from __future__ import annotations

from rq import get_current_job


def note(key: str, name: str) -> None:
    job = get_current_job()
    assert job is not None
    job.connection.rpush(key, name)
