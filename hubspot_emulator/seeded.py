"""State a handler module keeps per portal, seeded on first use: a reset makes a new Store, so
the next request seeds it afresh (lists, forms, workflows, marketing, subscriptions, events)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")


def per_store(seed: Callable[..., T]) -> Callable[..., T]:
    """`seed(store, *args)` called once per store; later calls answer what it built."""
    states: WeakKeyDictionary = WeakKeyDictionary()

    @wraps(seed)
    def state_of(store, *args) -> T:
        state = states.get(store)
        if state is None:
            state = states[store] = seed(store, *args)
        return state

    return state_of
