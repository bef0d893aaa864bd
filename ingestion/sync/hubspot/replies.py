"""The shapes of HubSpot's success replies, checked before anything reads them.

A reply that lacks its shape is never taken as data: `{}` is not an empty last page, and an
association reply without `results` does not mean "no links". Envelopes are decoded with
msgspec Structs (bench/decoders.py: 8-30% less CPU than orjson plus `.get`, and validating);
records stay plain dicts, checked one by one by the engine so that one bad record fails
alone.

Text that no database column can hold is repaired here, once, for one record at a time:
- HubSpot quirk (the JSON spec allows it): a string may hold a lone UTF-16 surrogate
  escape (`"\\ud800"`), which strict decoders reject for the whole body. Such a body is
  decoded again tolerantly and the broken character becomes U+FFFD.
- NUL characters (`\\u0000`): PostgreSQL text and jsonb cannot hold them; they are removed
  (on every database, so both hold the same mirror).
The record is tagged (`REPAIRED`: what was done to which field) so the engine reports a
warning naming the record and property. Both checks are one scan of the body's bytes, so
clean pages cost nothing extra.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Annotated, Any, ClassVar

import msgspec

REPAIRED = "_mirror_repaired"  # record key: notes on the fields whose text was repaired
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_NOTE = "a broken character (lone UTF-16 surrogate) was replaced by U+FFFD"
_NUL_NOTE = "NUL characters were removed (a database text column cannot hold them)"

Cursor = Annotated[str, msgspec.Meta(min_length=1)]


class Next(msgspec.Struct):
    after: Cursor


class Paging(msgspec.Struct):
    next: Next | None = None


class Listing(msgspec.Struct):
    """List pages, batch reads (200/207), owners, properties, pipelines, schemas,
    association batch reads: `results` must be a list; `paging`, if any, well formed."""

    results: list[Any]
    paging: Paging | None = None

    @property
    def after(self) -> str | None:
        return self.paging.next.after if self.paging and self.paging.next else None


class SearchPage(Listing):
    total: int = -1  # required in practice: see `_check_total`


class Counted(Listing):
    """A listing whose reply says how many items the query matches in all (`total`:
    marketing emails, campaigns)."""

    total: int | None = None


class OffsetListing(Listing):
    """HubSpot's v1 listings (email events, email campaigns, the subscription timeline):
    the items under a key of their own (`keyed`), more while `hasMore`, from `offset`
    (docs/hubspot-api.md#v1-paging). `hasMore` without an offset would end the listing
    early or restart it: malformed."""

    hasMore: bool = False
    offset: str | int | None = None

    def __post_init__(self) -> None:
        if self.hasMore and (self.offset is None or self.offset == "" or
                             isinstance(self.offset, bool)):
            raise ValueError("`hasMore` is true but no `offset` says where to go on")

    @property
    def after(self) -> str | None:
        return str(self.offset) if self.hasMore else None


@cache
def keyed(key: str, base: type[Listing] = Listing) -> type[Listing]:
    """`base` with its items under `key` (`{"workflows": [...]}`, `{"events": [...], …}`)."""
    return msgspec.defstruct(f"{base.__name__}_{key}", [
        ("results", list[Any], msgspec.field(name=key))], bases=(base,))


def no_content_allowed(shape: type) -> bool:
    """Whether a 204 No Content is an answer of this shape (its class says `no_content =
    True`): the client then returns None for it. For every other shape an empty body is
    malformed (an empty page is never "the end")."""
    return getattr(shape, "no_content", False) is True


class Deleted(msgspec.Struct):
    """A DELETE's reply: 204 No Content (the client returns None), or any JSON object."""

    no_content: ClassVar[bool] = True

    @property
    def results(self) -> list[Any]:  # decode() repairs text in `results`: none here
        return []


# The webhooks journal's subscriptions (docs/hubspot-api.md#webhooks-journal): each field
# that does not apply to its type is omitted; empty id and property lists mean "all".
Ids = list[int | str]


class Subscription(msgspec.Struct, rename="camel"):
    """One journal subscription, as listed and as a POST (upsert) answers it."""

    id: int | str
    subscription_type: str
    actions: list[str] = msgspec.field(default_factory=list)
    portal_id: int | None = None
    object_type_id: str | None = None
    object_ids: Ids = msgspec.field(default_factory=list)
    properties: list[str] = msgspec.field(default_factory=list)
    associated_object_type_ids: list[str] = msgspec.field(default_factory=list)
    list_ids: Ids = msgspec.field(default_factory=list)
    app_id: int | None = None

    @property
    def results(self) -> list[Any]:  # decode() repairs text in `results`: none here
        return []


class Subscriptions(Listing):
    """`GET /webhooks-journal/subscriptions/{v}`: `{"results": [...]}`, no paging."""

    results: list[Subscription]


class Malformed(ValueError):
    """The body is not the expected shape (message says where)."""


_DECODERS: dict[type, msgspec.json.Decoder] = {}


def decode(content: bytes, shape: type[Listing]) -> Listing:
    """The reply as `shape`, or Malformed. Bodies with broken text are repaired first."""
    decoder = _DECODERS.get(shape) or _DECODERS.setdefault(shape, msgspec.json.Decoder(shape))
    try:
        reply = decoder.decode(content)
    except msgspec.ValidationError as error:
        raise Malformed(str(error)) from None
    except msgspec.DecodeError:
        reply = _decode_tolerantly(content, shape)
    else:
        if b"\\u0000" in content:
            _repair_records(reply.results)
    if shape is SearchPage:
        _check_total(reply)
    return reply


def _decode_tolerantly(content: bytes, shape: type[Listing]) -> Listing:
    try:
        data = json.loads(content.decode("utf-8", errors="replace"), strict=False)
    except ValueError:
        raise Malformed("the body is not complete JSON") from None
    key = msgspec.structs.fields(shape)[0].encode_name  # `results`, or a keyed listing's
    if isinstance(data, dict) and isinstance(data.get(key), list):
        _repair_records(data[key])
    try:
        return msgspec.convert(_repaired(data), shape)
    except msgspec.ValidationError as error:
        raise Malformed(str(error)) from None


def _repair_records(records: list) -> None:
    """Repair each record's text in place, at any depth (a list's filters, a submission's
    `values`), noting what was done to which field."""
    for record in records:
        if not isinstance(record, dict):
            continue
        notes: list[str] = []
        _repair_in(record, "", notes)
        if notes:
            record[REPAIRED] = notes


def _repair_in(container: dict | list, path: str, notes: list[str]) -> None:
    """Repair the keys and values of `container` in place (nested ones too); `path` names
    it in the notes (`properties.email`, `values[2].value`)."""
    items = list(container.items()) if isinstance(container, dict) else enumerate(container)
    for key, value in list(items):
        fixed_key, key_note = _repair_text(key)
        where = (f"{path}[{key}]" if isinstance(container, list)
                 else f"{path}.{fixed_key}" if path else str(fixed_key))
        if isinstance(value, dict | list):
            _repair_in(value, where, notes)
            fixed, note = value, ""
        else:
            fixed, note = _repair_text(value)
        if note or key_note:
            if key_note:
                del container[key]
            container[fixed_key] = fixed
            notes.append(f"{where}: {note or key_note}")


def _repair_text(value: object) -> tuple[object, str]:
    if not isinstance(value, str):
        return value, ""
    if _LONE_SURROGATE.search(value):
        return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", ""), _SURROGATE_NOTE
    if "\x00" in value:
        return value.replace("\x00", ""), _NUL_NOTE
    return value, ""


def _repaired(value: Any) -> Any:
    """The value with every lone surrogate replaced and NUL removed (keys included)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "")
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    if isinstance(value, dict):
        return {_repaired(key): _repaired(item) for key, item in value.items()}
    return value


def _check_total(reply: Listing) -> None:
    if isinstance(reply.total, bool) or reply.total < 0:
        raise Malformed("a search reply needs `total`, a non-negative integer")
