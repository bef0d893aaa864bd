"""The producer threads behind the fetch stage, two-ended reads and link refresh
(ingestion/base/prefetch.py), and the one chunking helper (ingestion/base/chunks.py)."""

import threading
import time

import pytest

from ingestion.base.chunks import chunked
from ingestion.base.prefetch import Producer, prefetched, produced

pytestmark = pytest.mark.once


class Source:
    """Counts 0, 1, 2 … (up to `last`), noting how many it handed on, in which thread, and
    whether it was closed; fails after `fail_after` items if given."""

    def __init__(self, last: int | None = None, fail_after: int | None = None):
        self.last, self.fail_after = last, fail_after
        self.handed_on, self.closed, self.threads = 0, False, set()

    def __iter__(self):
        n = 0
        try:
            while self.last is None or n <= self.last:
                self.threads.add(threading.current_thread().name)
                if n == self.fail_after:
                    raise ValueError(f"failed after {n}")
                self.handed_on += 1
                yield n
                n += 1
        finally:
            self.closed = True


def test_producer_when_it_fails_then_the_consumer_gets_its_items_then_its_error():
    source = Source(fail_after=3)
    read = []
    with pytest.raises(ValueError, match="failed after 3"), \
            prefetched(iter(source), depth=2) as items:
        read.extend(items)
    assert read == [0, 1, 2]
    assert source.threads == {"hubspot-fetch"}


def test_producers_when_one_fails_with_on_failure_then_the_others_read_on():
    failing, steady = Source(fail_after=2), Source(last=9)
    failures = []
    ends = (Producer("end-a", iter(failing), on_failure=failures.append),
            Producer("end-b", iter(steady)))
    with produced(*ends, depth=3) as items:
        read = list(items)
    assert sorted(read) == [0, 0, 1, 1, *range(2, 10)]
    assert [str(f) for f in failures] == ["failed after 2"]
    assert failing.threads == {"end-a"} and steady.threads == {"end-b"}


def test_consumer_when_leaving_early_then_producers_stop_are_closed_and_joined():
    endless = [Source(), Source()]
    before = set(threading.enumerate())
    with produced(*(Producer(f"endless-{n}", iter(s)) for n, s in enumerate(endless)),
                  depth=2) as items:
        for n, _ in enumerate(items):
            if n == 5:
                break
    assert set(threading.enumerate()) <= before  # none of the producers is left running
    assert all(s.closed for s in endless)  # each generator's cleanup ran


def test_consumer_when_it_raises_then_producers_stop_and_the_error_is_its_own():
    endless = Source()
    with pytest.raises(KeyError), prefetched(iter(endless), depth=1) as items:
        next(items)
        raise KeyError("the consumer's")
    assert endless.closed and not any(t.name == "hubspot-fetch" for t in threading.enumerate())


def test_slow_consumer_when_reading_then_at_most_depth_items_wait():
    source, depth = Source(last=40), 3
    outstanding = []
    with prefetched(iter(source), depth=depth) as items:
        for consumed, _ in enumerate(items, start=1):
            time.sleep(0.01)  # slower than the producer: the queue stays full
            outstanding.append(source.handed_on - consumed)
    # Handed on but not yet read: the queue's `depth`, plus the one the producer holds
    # while it waits for room. An unbounded queue would run the whole source ahead.
    assert max(outstanding) <= depth + 1
    assert max(outstanding) >= depth  # it did read ahead


def test_chunked_when_cutting_then_consecutive_slices_of_the_same_type():
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunked((1, 2, 3), 3)) == [(1, 2, 3)]
    assert list(chunked([], 100)) == []
