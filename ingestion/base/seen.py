"""The ids a run has read: for the full-run sweep and to know a second read of an id.

HubSpot ids are numbers: 1,000,000 of them take 8 MB in an int64 array, where a set of
strings would take ~90 MB. The array is kept sorted, so asking "read before?" is a binary
search. A full listing reads ids in ascending order, so nearly every id is simply appended;
a two-ended read's search end reads them descending from the top, so those are appended to
a second array (kept negated, so it is ascending too) while they stay above the first; ids
that arrive out of order (search reads by modified time) wait in a small set that is merged
in when it grows. Ids that are not plain numbers (a custom object's composite key, a
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
        self._falling = array("q")  # negated ids read downwards, all above those in _sorted
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
        if (self._recent and number in self._recent) or self._in_falling(number):
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
        """Remember every id; return those this run had read before. A page of new plain
        numbers in order (ascending past the ids read upwards, or descending below those read
        downwards, and between the two) is appended in one go."""
        numbers = self._new_run(object_ids)
        if numbers is not None:
            low, high = min(numbers[0], numbers[-1]), max(numbers[0], numbers[-1])
            above = not self._sorted or low > self._sorted[-1]
            below = not self._falling or high < -self._falling[-1]
            if above and below:
                if numbers[0] <= numbers[-1]:
                    self._sorted.extend(numbers)
                else:
                    self._falling.extend(-n for n in numbers)
                return set()
        return {object_id for object_id in object_ids if not self.add(object_id)}

    def _new_run(self, object_ids: list[str]) -> list[int] | None:
        """The ids as numbers if they are plain, strictly ascending or strictly descending,
        and none is held as out of order; else None."""
        # Each test runs in C over the whole list: a page costs no Python loop per id.
        if not object_ids or not all(map(str.isdigit, object_ids)):
            return None
        numbers = list(map(int, object_ids))
        if (max(numbers) >= 1 << 62 or list(map(str, numbers)) != object_ids
                or not self._recent.isdisjoint(numbers)):
            return None
        ordered = sorted(set(numbers))
        return numbers if numbers == ordered or numbers == ordered[::-1] else None

    def __contains__(self, object_id: str) -> bool:
        number = _as_number(object_id)
        if number is None:
            return object_id in self._others
        return number in self._recent or self._in_sorted(number) or self._in_falling(number)

    def __iter__(self) -> Iterator[str]:
        """Every id once, as the string it was added as (in no particular order: the sweep
        needs none, and a merge would cost a Python step per id)."""
        yield from map(str, self._sorted)
        yield from (str(-n) for n in self._falling)
        yield from map(str, self._recent)
        yield from self._others

    def __len__(self) -> int:
        return len(self._sorted) + len(self._falling) + len(self._recent) + len(self._others)

    def _in_falling(self, number: int) -> bool:
        if not self._falling or number < -self._falling[-1]:
            return False
        index = bisect_left(self._falling, -number)
        return index < len(self._falling) and self._falling[index] == -number

    def _in_sorted(self, number: int) -> bool:
        if not self._sorted or number > self._sorted[-1]:
            return False
        index = bisect_left(self._sorted, number)
        return index < len(self._sorted) and self._sorted[index] == number

    def _merge(self) -> None:
        self._sorted = array("q", merge(self._sorted, sorted(self._recent)))
        self._recent = set()
