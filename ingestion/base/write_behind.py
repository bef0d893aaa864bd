"""Write behind: each batch is written by one background thread with its own database
connection, while the calling thread already prepares the next batch. Batches are still
written one at a time, in order, each in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connections

from .runner import interrupts_held


class WriteBehind:
    def __init__(self, *, enabled: bool = True):
        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="db-writer") if enabled else None

    def submit(self, write: Callable, *args) -> Future:
        if self._pool:
            with interrupts_held():  # the first submit starts the thread (prefetch.produced)
                return self._pool.submit(write, *args)
        done: Future = Future()  # disabled: run here and now
        try:
            done.set_result(write(*args))
        except BaseException as error:
            done.set_exception(error)
        return done

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Let the batch in flight finish (or roll back) as a whole, then close the thread's
        connection: even an interrupted run never leaves half a batch."""
        if self._pool:
            self._pool.submit(connections.close_all).result()
            self._pool.shutdown(wait=True)
