"""Producer threads: iterables run in background threads, read by one consumer as they come.

The one pipeline behind the fetch stage (`prefetched`: thread hubspot-fetch), the two ends
of a full read (two_ended.py) and the link refresh's reads (links.py): each producer runs in
a named daemon thread and hands its items to one bounded queue, so HTTP is never idle while
the database writes, and a slow consumer makes the producers wait instead of buffering the
whole portal in memory (at most `depth` items wait in the queue).

Each producer ends with one end marker, carrying its failure if it failed: the consumer
re-raises it (or hands it to the producer's `on_failure`, and reads on from the others).
The consumer leaving early (a break, an exception, a signal) stops every producer at its
next hand-over, joins them, and closes their iterables in their own threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections

from .runner import interrupts_held

OFFER_EVERY_S = 0.1  # how often a producer blocked on a full queue checks it should stop
JOIN_TIMEOUT_S = 30.0  # a producer inside a long request is left to end alone (a daemon)


@dataclass(frozen=True)
class Producer:
    """An iterable to run in a thread named `name`. `on_failure`: called (in the consumer's
    thread) with the producer's exception instead of re-raising it; the others read on."""

    name: str
    items: Iterable
    on_failure: Callable[[BaseException], None] | None = None


@dataclass(frozen=True)
class _End:
    producer: Producer
    error: BaseException | None


@contextmanager
def produced(*producers: Producer, depth: int) -> Iterator[Iterator]:
    """Run every producer at once; yield an iterator over their items as they come (each
    producer's in its order) until all have ended (module doc: failures, leaving early)."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    threads = [threading.Thread(target=_produce, args=(p, buffer, stop), name=p.name,
                                daemon=True) for p in producers]
    try:
        # An interrupt raised inside `Thread.start` can leave a started thread that fails at
        # its first step (a KeyError printed from the thread): held until the starts are done.
        with interrupts_held():
            for thread in threads:
                thread.start()
        yield _consume(buffer, len(producers))
    finally:
        stop.set()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join(timeout=JOIN_TIMEOUT_S)


def prefetched(pages: Iterable, *, depth: int = 4) -> Iterator[Iterator]:
    """The fetch stage: `pages` read in thread hubspot-fetch (a context manager)."""
    return produced(Producer("hubspot-fetch", pages), depth=depth)


def _produce(producer: Producer, buffer: queue.Queue, stop: threading.Event) -> None:
    items, error = None, None
    try:
        items = iter(producer.items)
        for item in items:
            if not _offer(buffer, item, stop):
                return
    except BaseException as failure:  # handed to the consumer, which re-raises it
        error = failure
    finally:
        close = getattr(items, "close", None)
        if close:  # a generator stopped mid-way runs its cleanup here, in its own thread
            close()
        connections.close_all()  # this thread's own (e.g. the shared OAuth grant's)
    _offer(buffer, _End(producer, error), stop)


def _offer(buffer: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put `item` in the queue as soon as there is room; False once told to stop."""
    while not stop.is_set():
        try:
            buffer.put(item, timeout=OFFER_EVERY_S)
            return True
        except queue.Full:
            continue
    return False


def _consume(buffer: queue.Queue, running: int) -> Iterator:
    while running:
        item = buffer.get()
        if type(item) is not _End:
            yield item
            continue
        running -= 1
        if item.error is not None:
            if item.producer.on_failure is None:
                raise item.error
            item.producer.on_failure(item.error)
