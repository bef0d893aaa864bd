"""The ids a full run has read, kept compactly for the end-of-run sweep.

HubSpot ids are numbers: 1,000,000 of them take 8 MB in an int64 array, where a set of
strings would take ~90 MB (and touching every unchanged row instead would cost a write
per row). Ids that are not numbers (e.g. a custom object's composite key) go in a set.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left


class SeenIds:
    def __init__(self) -> None:
        self._numbers = array("q")
        self._sorted = True
        self._others: set[str] = set()

    def add(self, object_id: str) -> None:
        if object_id.isdigit() and len(object_id) < 19:
            number = int(object_id)
            if self._numbers and number < self._numbers[-1]:
                self._sorted = False
            self._numbers.append(number)
        else:
            self._others.add(object_id)

    def __contains__(self, object_id: str) -> bool:
        if not (object_id.isdigit() and len(object_id) < 19):
            return object_id in self._others
        if not self._sorted:
            self._numbers = array("q", sorted(self._numbers))
            self._sorted = True
        number = int(object_id)
        index = bisect_left(self._numbers, number)
        return index < len(self._numbers) and self._numbers[index] == number
