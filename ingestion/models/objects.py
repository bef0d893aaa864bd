"""The standard object types' models, one table each, built from `ingestion/object_types.py`.

Each is a `HubSpotObject` with the entry's typed columns (its family's first), named
`entry.model_name` on table `entry.table`; like a model written by hand, each is an
attribute of this module and of `ingestion.models` (`HubSpotContact`, `HubSpotQuote` …).
"""

from __future__ import annotations

from django.db import models

from ingestion.object_types import OBJECT_TYPES, Column, ObjectType

from .base import HubSpotObject


def _field(column: Column) -> models.Field:
    """The Django field of a typed column: nullable (HubSpot may leave any property empty)."""
    options: dict = {"null": True}
    if column.indexed:
        options["db_index"] = True
    if column.help:
        options["help_text"] = column.help
    if column.kind == "text":
        return models.TextField(**options)
    if column.kind == "datetime":
        return models.DateTimeField(**options)
    if column.kind == "bigint":
        return models.BigIntegerField(**options)
    if column.kind == "boolean":
        return models.BooleanField(**options)
    if column.kind == "decimal":
        return models.DecimalField(max_digits=24, decimal_places=6, **options)
    raise ValueError(f"unknown column kind {column.kind!r}")


def _model(entry: ObjectType) -> type[HubSpotObject]:
    attributes: dict = {name: _field(column) for name, column in entry.all_columns}
    attributes["Meta"] = type("Meta", (), {"db_table": entry.table})
    attributes["__module__"] = __name__
    return type(entry.model_name, (HubSpotObject,), attributes)


# By type name, in the table's (dependency) order.
OBJECT_MODELS: dict[str, type[HubSpotObject]] = {e.name: _model(e) for e in OBJECT_TYPES}
globals().update({model.__name__: model for model in OBJECT_MODELS.values()})
