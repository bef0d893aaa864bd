"""The interface every database module implements, with the parts they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import orjson
from django.db import models

Adapter = Callable[[object], object]


class Backend:
    vendor: str

    def insert(self, table: str, columns: list[str], values: list[tuple],
               conflict_sql: str | None) -> None:
        raise NotImplementedError

    def pk_in(self, ids: list[str]) -> object:
        return ids

    def load_ids(self, cursor, table: str, ids: Iterable[str]) -> None:
        raise NotImplementedError

    def relax_commit_durability(self) -> None:
        """Nothing to relax unless the database says otherwise."""

    def refresh_statistics(self, tables: list[str]) -> None:
        """After a large write: let the planner know the tables' new sizes (where it needs
        telling)."""

    def adapter(self, field: models.Field) -> Adapter | None:
        """How one column's Python value becomes a driver value (None: the driver knows)."""
        return _json if isinstance(field, models.JSONField) else None

    def on_connect(self, connection) -> None:
        """Per-connection setup (signal `connection_created`)."""


def _json(value: object) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def column_list(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)
