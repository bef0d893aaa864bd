"""Fetch in a background thread so HTTP is never idle while the database writes.

The queue is bounded: a slow database makes the fetcher wait instead of buffering the
whole portal in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connections

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


@contextmanager
def prefetched(pages: Iterable, *, depth: int = 4) -> Iterator[Iterator]:
    """Run `pages` in a thread; yield an iterator over what it produces, in order."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not offer(page):
                    return
            offer(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            offer(_Failure(error))
        finally:
            connections.close_all()  # this thread's own (e.g. the shared OAuth grant's)

    def consume() -> Iterator:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    worker = threading.Thread(target=produce, name="hubspot-fetch", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join(timeout=30)
        close = getattr(pages, "close", None)
        if close and not worker.is_alive():
            close()
