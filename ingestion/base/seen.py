"""The ids a full run has read, kept compactly for the end-of-run sweep.

HubSpot ids are numbers: 1,000,000 of them take 8 MB in an int64 array, where a set of
strings would take ~90 MB (and touching every unchanged row instead would cost a write
per row). Ids that are not plain numbers (e.g. a custom object's composite key, or a
number with leading zeros) go in a set.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator


def _as_number(object_id: str) -> int | None:
    if object_id.isdigit() and len(object_id) < 19 and (object_id[0] != "0" or object_id == "0"):
        return int(object_id)
    return None


class SeenIds:
    def __init__(self) -> None:
        self._numbers = array("q")
        self._others: set[str] = set()

    def add(self, object_id: str) -> None:
        number = _as_number(object_id)
        if number is None:
            self._others.add(object_id)
        else:
            self._numbers.append(number)

    def __iter__(self) -> Iterator[str]:
        """Every id, as the string it was added as (an id read twice comes twice)."""
        for number in self._numbers:
            yield str(number)
        yield from self._others
