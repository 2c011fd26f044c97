"""Store's optimistic transactions when the connection drops right after EXEC ran (a Redis restart, a failover)."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from redis.client import Pipeline

from storefront_proxy.store import Store
from tests.factories import stored_request


def test_a_change_whose_exec_ran_before_the_connection_dropped_is_not_applied_twice(redis_conn, monkeypatch):
    store = Store(redis_conn)
    request = stored_request(store)
    real_execute = Pipeline.execute
    dropped: list[bool] = []

    def execute_then_lose_the_answer(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        transaction = self.explicit_transaction  # execute() resets it
        result = real_execute(self, *args, **kwargs)
        if transaction and not dropped:
            dropped.append(True)
            # What redis-py raises when the connection fails while keys are watched: it can't know EXEC ran.
            raise redis.WatchError("A ConnectionError occurred while watching one or more keys")
        return result

    monkeypatch.setattr(Pipeline, "execute", execute_then_lose_the_answer)
    updated, _ = store.requests.update(request.id, lambda r: r.record(datetime.now(UTC), "noted", detail="once"))
    assert dropped and [e.type for e in updated.events] == ["requested", "noted"]
    assert [e.type for e in store.requests.get(request.id).events] == ["requested", "noted"]


def test_a_change_that_lost_to_another_writer_is_applied_again_on_the_new_record(redis_conn):
    store = Store(redis_conn)
    request = stored_request(store)
    calls: list[int] = []

    def change(record):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:  # another writer changes the record between our read and our EXEC
            other = Store(redis.Redis(connection_pool=redis_conn.connection_pool))
            other.redis.set(
                f"selfservice:request:{request.id}", record.model_copy(update={"attempts": 5}).model_dump_json()
            )
        record.attempts += 1

    assert store.requests.update(request.id, change)[0].attempts == 6 and len(calls) == 2
