"""The one way a sequence is cut into pieces: `chunked(items, size)`.

Each piece is a slice of the sequence, so a list stays a list (a JSON body's inputs, an
ORM `pk__in`) without a copy per item. A three-line helper rather than a dependency:
`itertools.batched` needs Python 3.12 (we support 3.11) and more-itertools' `chunked`
would add a package for the same three lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

S = TypeVar("S", bound=Sequence)

IDS_PER_STATEMENT = 5_000  # ids in one SQL `IN (…)`: well inside every database's limit


def chunked(items: S, size: int) -> Iterator[S]:
    """`items` in consecutive slices of `size` (the last one shorter); none when empty."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
