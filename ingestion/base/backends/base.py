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

    # -- typed views (ingestion/sync/hubspot/typed_views.py) ---------------------------------

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of `key` in the JSON `column` (NULL when absent)."""
        raise NotImplementedError

    def typed_value(self, sql_type: str, text: str) -> str:
        """SQL turning the text expression `text` into `sql_type` (TYPED_VIEW_TYPES), NULL
        when it does not parse: never an error, whatever HubSpot stored."""
        raise NotImplementedError

    def prepare_typed_views(self, cursor) -> None:
        """What the views need before they are created (helper functions)."""

    # Whether views can spread a range over days with generate_series (history_views.py).
    has_generate_series = False

    def stored_timestamp(self, column: str) -> str:
        """SQL for a stored datetime column as the typed views show datetimes."""
        return column


# The SQL types a typed view column can have (typed_views.sql_type_of).
TYPED_VIEW_TYPES = ("text", "numeric", "bigint", "timestamp", "date", "boolean", "array")
# A longer text is no number to the safe casts: far inside PostgreSQL numeric's range whatever
# the exponent (at most four digits), where an unbounded text could overflow it.
MAX_NUMBER_TEXT = 1_000


def sql_literal(text: str) -> str:
    """A standard SQL string literal (quotes doubled): for DDL, where no parameter can go."""
    if "\x00" in text:
        raise ValueError("a NUL character cannot be part of an SQL literal")
    return "'" + text.replace("'", "''") + "'"


def quote_name(name: str) -> str:
    """A quoted SQL identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def _json(value: object) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def column_list(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)
