"""Fewer garbage-collector passes while a run moves records.

A run allocates a few dozen containers per record (the decoded page, its property dicts,
rows, value lists), nearly all freed by reference counting the moment a batch is written:
they hold no cycles. CPython's cyclic collector still counts them, and by default scans the
young generation every 700 allocations and the older ones after that, going over every
live container each full pass (Django's models and the imported modules among them). In a
full sync that was about a tenth of the process's CPU (bench: 0.86-0.98x with the passes
spaced out). So, for the length of a run: the objects alive at its start (imports, settings)
are frozen out of the collector's reach, and a pass waits for 50,000 new containers instead
of 700. Cyclic garbage (exceptions with tracebacks, say) is still collected, only later, so
nothing large may wait for it: the client detaches each spent response stream, which httpx
keeps in a cycle with the response and its body (without that, peak RSS at 100,000 contacts
went from 117 to 317 MB).

Process-wide, so runs in threads of one process (tests, the webhook applier) share it: the
first run in changes the settings, the last one out restores them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RUN_THRESHOLDS = (50_000, 50, 100)

_lock = threading.Lock()
_runs = 0
_before: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Space out the collector's passes while the block runs (module doc)."""
    global _runs, _before
    with _lock:
        if _runs == 0:
            _before = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*RUN_THRESHOLDS)
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0 and _before is not None:
                gc.set_threshold(*_before)
                gc.unfreeze()
