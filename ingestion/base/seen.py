"""The ids a run has read: for the full-run sweep and to know a second read of an id.

HubSpot ids are numbers: 1,000,000 of them take 8 MB in an int64 array, where a set of
strings would take ~90 MB. The array is kept sorted, so asking "read before?" is a binary
search. A full listing reads ids in ascending order, so nearly every id is simply appended;
ids that arrive out of order (search reads by modified time) wait in a small set that is
merged in when it grows. Ids that are not plain numbers (a custom object's composite key, a
number with leading zeros) go in a set of their own.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator
from heapq import merge

MERGE_AT = 1 << 16  # out-of-order ids held in a set before they join the sorted array


def _as_number(object_id: str) -> int | None:
    if object_id.isdigit() and len(object_id) < 19 and (object_id[0] != "0" or object_id == "0"):
        return int(object_id)
    return None


class SeenIds:
    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()
        self._others: set[str] = set()

    def add(self, object_id: str) -> bool:
        """Remember `object_id`; True if this run had not read it before."""
        number = _as_number(object_id)
        if number is None:
            if object_id in self._others:
                return False
            self._others.add(object_id)
            return True
        if self._recent and number in self._recent:
            return False
        if not self._sorted or number > self._sorted[-1]:  # the usual case: ascending ids
            self._sorted.append(number)
            return True
        if self._in_sorted(number):
            return False
        self._recent.add(number)
        if len(self._recent) >= MERGE_AT:
            self._merge()
        return True

    def add_all(self, object_ids: list[str]) -> set[str]:
        """Remember every id; return those this run had read before. A page of a listing
        (new plain numbers, ascending, past every id so far) is appended in one go."""
        # Each test runs in C over the whole list: a page costs no Python loop per id.
        if object_ids and not self._recent and all(map(str.isdigit, object_ids)):
            numbers = list(map(int, object_ids))
            if (numbers == sorted(set(numbers))  # ascending, no repeats
                    and numbers[-1] < 1 << 62 and list(map(str, numbers)) == object_ids
                    and (not self._sorted or numbers[0] > self._sorted[-1])):
                self._sorted.extend(numbers)
                return set()
        return {object_id for object_id in object_ids if not self.add(object_id)}

    def __contains__(self, object_id: str) -> bool:
        number = _as_number(object_id)
        if number is None:
            return object_id in self._others
        return number in self._recent or self._in_sorted(number)

    def __iter__(self) -> Iterator[str]:
        """Every id once, as the string it was added as (in no particular order: the sweep
        needs none, and a merge would cost a Python step per id)."""
        yield from map(str, self._sorted)
        yield from map(str, self._recent)
        yield from self._others

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent) + len(self._others)

    def _in_sorted(self, number: int) -> bool:
        if not self._sorted or number > self._sorted[-1]:
            return False
        index = bisect_left(self._sorted, number)
        return index < len(self._sorted) and self._sorted[index] == number

    def _merge(self) -> None:
        self._sorted = array("q", merge(self._sorted, sorted(self._recent)))
        self._recent = set()
