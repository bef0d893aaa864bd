"""HubSpot record JSON → model field values.

Every property is kept raw in `properties`; the model's typed columns (named exactly as the
HubSpot properties) are parsed from it. A value that does not parse never drops the record:
the typed column gets NULL, the raw value stays in `properties`, and a warning is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.db import models

from ingestion.base.results import RecordError
from ingestion.models import HubSpotObject

from .replies import REPAIRED
from .timeparse import parse_hubspot_date, parse_hubspot_datetime

ID_MAX = 64  # the `id` column's width: a longer "id" is not one of HubSpot's

Parser = Callable[[object], object]
BASE_COLUMNS = {f.name for f in HubSpotObject._meta.get_fields()} | {"synced_at"}


def _text(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, dict | list):
        raise ValueError("not a text value")
    return str(value)


def strict_bool(value: object) -> bool:
    """HubSpot sends booleans as "true"/"false" (docs/hubspot-api.md#records); anything else is not
    one."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise ValueError("not a boolean")


def _integer(value: object) -> int:
    number = int(Decimal(str(value)))
    if not -(2**63) <= number < 2**63:
        raise ValueError("out of range")
    return number


def _decimal_parser(field: models.DecimalField) -> Parser:
    limit = Decimal(10) ** (field.max_digits - field.decimal_places)

    def parse(value: object) -> Decimal:
        try:
            number = Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
        except InvalidOperation as error:
            raise ValueError("not a number") from error
        if not number.is_finite() or abs(number) >= limit:
            raise ValueError("out of range")
        return number

    return parse


def parser_for(field: models.Field) -> Parser:
    if isinstance(field, models.DateTimeField):
        return parse_hubspot_datetime
    if isinstance(field, models.DateField):
        return parse_hubspot_date
    if isinstance(field, models.BooleanField):
        return strict_bool
    if isinstance(field, models.DecimalField):
        return _decimal_parser(field)
    if isinstance(field, models.IntegerField):
        return _integer
    if isinstance(field, models.FloatField):
        return float
    return _text


def typed_columns(model: type[models.Model]) -> dict[str, Parser]:
    """The model's HubSpot-property columns and how to parse each one."""
    return {f.attname: parser_for(f) for f in model._meta.concrete_fields
            if f.attname not in BASE_COLUMNS}


def identify(record: object) -> dict:
    """`id`, `updated_at` and `archived` of a HubSpot record: all the save path needs to
    decide whether the record must be written. RecordError if it cannot be stored at all."""
    if not isinstance(record, dict):
        raise RecordError("", f"an entry that is not a record (a JSON {_json_kind(record)})")
    raw_id = record.get("id")
    if type(raw_id) not in (str, int) or raw_id == "":
        raise RecordError(_id_of(record), "record has no id")
    object_id = raw_id if type(raw_id) is str else str(raw_id)
    if len(object_id) > ID_MAX:
        raise RecordError(object_id[:ID_MAX], f"record id longer than {ID_MAX} characters")
    if not isinstance(record.get("properties"), dict):
        raise RecordError(object_id, "record has no properties object")
    try:
        updated_at = parse_hubspot_datetime(record.get("updatedAt"))
    except (TypeError, ValueError, OverflowError):
        raise RecordError(object_id, "unreadable updatedAt") from None
    archived = record.get("archived", False)
    if archived is not False and archived is not True:
        try:
            archived = strict_bool(archived)
        except ValueError:
            raise RecordError(object_id, "`archived` is neither true nor false") from None
    if updated_at is None:
        raise RecordError(object_id, "record has no updatedAt")
    return {"id": object_id, "updated_at": updated_at, "archived": archived}


def to_row(record: object, columns: dict[str, Parser]) -> tuple[dict, list[str]]:
    """(row, warnings) for one HubSpot record; RecordError if it cannot be stored at all."""
    key = identify(record)
    object_id, properties = key["id"], record["properties"]
    try:
        created_at = parse_hubspot_datetime(record.get("createdAt"))
        archived_at = parse_hubspot_datetime(record.get("archivedAt"))
    except (TypeError, ValueError, OverflowError):
        raise RecordError(object_id, "unreadable createdAt or archivedAt") from None
    row = {**key, "properties": properties, "created_at": created_at,
           "archived_at": archived_at, "merged_into": None, "purged_at": None,
           # Read from HubSpot: archived means in its recycle bin (DeletedKind).
           "deleted_kind": "archived" if key["archived"] else None}
    warnings = list(record.get(REPAIRED) or ())
    for column, parse in columns.items():
        value = properties.get(column)
        try:
            row[column] = None if value is None or value == "" else parse(value)
        except (TypeError, ValueError, ArithmeticError, OverflowError):
            row[column] = None
            warnings.append(f"property {column!r} has an unreadable value; column left NULL, "
                            "raw value kept in properties")
    return row, warnings


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _id_of(record: object) -> str:
    if isinstance(record, dict) and record.get("id") is not None:
        return str(record["id"])[:64]
    return ""
