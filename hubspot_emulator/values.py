"""Validating and normalising written property values (docs/hubspot-api.md#records, #errors).

Everything is stored as HubSpot returns it: strings, `"true"`/`"false"`, datetimes as ISO
with milliseconds, dates as `YYYY-MM-DD`, multi-select values joined with `;`. An empty
string clears a value (it reads back as null).
"""

from __future__ import annotations

import json

from .errors import ApiError
from .properties import PropDef
from .schemas import DEAL_STAGES, TICKET_STAGES, ObjectType, active_owner_ids, pipeline_stage_ids
from .timeutil import DAY_MS, iso_date, iso_ms, parse_time_ms


class InvalidValue(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _options(p: PropDef, otype: ObjectType) -> set[str] | None:
    if p.name == "hubspot_owner_id":
        return set(active_owner_ids())
    if p.name in ("pipeline", "hs_pipeline"):
        return set(DEAL_STAGES if otype.name == "deals" else TICKET_STAGES)
    if p.name in ("dealstage", "hs_pipeline_stage"):
        return set(pipeline_stage_ids(otype))
    return set(p.options) if p.options else None


def normalize(p: PropDef, otype: ObjectType, value: object) -> str | None:
    if value is None or value == "":
        return None
    if p.type == "bool":
        text = str(value).lower()
        if text not in ("true", "false"):
            raise InvalidValue("INVALID_BOOLEAN", f"{value!r} is not a valid boolean")
        return text
    if p.type == "number":
        return _number(value)
    if p.type == "datetime":
        ms = parse_time_ms(value)
        if ms is None:
            raise InvalidValue("INVALID_DATE", f"{value!r} is not a valid datetime")
        return iso_ms(ms)
    if p.type == "date":
        ms = parse_time_ms(value)
        if ms is None or ms % DAY_MS:
            # Date values must be midnight UTC (docs/hubspot-api.md#records).
            raise InvalidValue("INVALID_DATE", f"{value!r} is not a valid date at midnight UTC")
        return iso_date(ms)
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(
        value, dict | list) else str(value).lower() if isinstance(value, bool) else str(value)
    if p.type == "enumeration":
        _check_options(p, otype, text)
    return text


def _number(value: object) -> str:
    if isinstance(value, bool):
        raise InvalidValue("INVALID_INTEGER", f"{value!r} is not a valid number")
    if isinstance(value, int):
        return str(value)
    try:
        number = float(str(value))
    except ValueError:
        raise InvalidValue("INVALID_INTEGER", f"{value!r} is not a valid number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidValue("INVALID_INTEGER", f"{value!r} is not a valid number")
    return str(int(number)) if number.is_integer() else repr(number)


def _check_options(p: PropDef, otype: ObjectType, text: str) -> None:
    allowed = _options(p, otype)
    if allowed is None:
        return
    parts = text.split(";") if p.field_type == "checkbox" else [text]
    bad = [v for v in parts if v not in allowed]
    if bad:
        raise InvalidValue("INVALID_OPTION", f"{bad[0]!r} was not one of the allowed options")


def validate_properties(otype: ObjectType, props: object) -> dict[str, str | None]:
    """Normalised writable values, or a 400 like HubSpot's "Property values were not valid"."""
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ApiError(400, "properties must be an object", "VALIDATION_ERROR")
    out: dict[str, str | None] = {}
    problems: list[tuple[str, str, str]] = []
    for name, value in props.items():
        p = otype.by_name.get(name)
        if p is None:
            problems.append((name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if p.read_only:
            continue  # HubSpot-maintained values: writes are ignored here [?]
        try:
            out[name] = normalize(p, otype, value)
        except InvalidValue as err:
            problems.append((name, err.code, err.message))
    if problems:
        raise _invalid(problems)
    return out


def _invalid(problems: list[tuple[str, str, str]]) -> ApiError:
    detail = [{"isValid": False, "message": msg, "error": code, "name": name,
               "localizedErrorMessage": msg} for name, code, msg in problems]
    errors = [{"message": msg, "code": code, "context": {"propertyName": [name]}}
              for name, code, msg in problems]
    message = "Property values were not valid: " + json.dumps(detail, separators=(",", ":"))
    return ApiError(400, message, "VALIDATION_ERROR", errors=errors)
