"""Property-based: generated hostile records and pages go through the real reply decoder
and the real save path (no HTTP), and nothing is lost whatever they hold."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.base.results import SyncOptions
from ingestion.models import HubSpotContact, SyncError, SyncHistory
from ingestion.sync.hubspot.replies import Listing, decode
from ingestion.sync.hubspot.transform import identify, to_row, typed_columns

from .factories import T0, CannedContactEngine, iso

pytestmark = pytest.mark.django_db(transaction=True)
COLUMNS = typed_columns(HubSpotContact)

hostile_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfffy", "", " ", "true", "1e309",
                     "2024-13-45", "x" * 3000, "NaN", "-0", "\u202e", "😀"]))
timestamps = st.one_of(
    st.integers(0, 10_000).map(lambda n: iso(T0 + timedelta(seconds=n))),
    st.sampled_from(["not a date", "", None, "1572480000000", 5, "9999-99-99T00:00:00Z"]))
properties = st.dictionaries(
    st.sampled_from(["email", "firstname", "phone", "createdate", "lastmodifieddate",
                     "hs_object_id", "favorite_color", "num_employees", "\x00key"]),
    st.one_of(st.none(), hostile_text), max_size=6)
records = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from([str(n) for n in range(1, 9)]),
                     st.sampled_from([7, "", None, "x" * 80, True]))},
    optional={"properties": st.one_of(properties, st.just([]), st.none()),
              "createdAt": timestamps, "updatedAt": timestamps,
              "archived": st.sampled_from([False, True, "false", "true", "maybe", 0, None])})
good_records = st.builds(
    lambda n, seconds, firstname: {
        "id": str(n), "properties": {"firstname": firstname, "email": f"p{n}@example.com"},
        "createdAt": iso(T0), "updatedAt": iso(T0 + timedelta(seconds=seconds)),
        "archived": False},
    st.integers(1, 4), st.integers(0, 5), hostile_text)
entries = st.one_of(good_records, good_records, records, records, st.integers(),
                    st.text(max_size=3), st.none(), st.lists(st.integers(), max_size=2))
pages = st.lists(st.lists(entries, max_size=5), min_size=1, max_size=5)


def decoded(page: list) -> list:
    """The page as the client hands it on: JSON bytes (lone surrogates escaped, as HubSpot
    sends them) through the real decoder."""
    body = json.dumps({"results": page}, ensure_ascii=True).encode()
    return decode(body, Listing).results


def valid(record: object) -> bool:
    try:
        to_row(record, COLUMNS)
    except ValueError:
        return False
    return True


def newest_copies(all_pages: list[list]) -> dict[str, dict]:
    """Per id, the valid copy a correct save path keeps: the newest; of copies modified at
    the same time an archived one over a live one (archiving comes later), else the first."""
    newest: dict[str, dict] = {}
    for record in (r for page in all_pages for r in page if valid(r)):
        key = identify(record)
        kept = newest.get(key["id"])
        rank = (key["updated_at"], key["archived"])
        if kept is None or rank > (identify(kept)["updated_at"], identify(kept)["archived"]):
            newest[key["id"]] = record
    return newest


def reset_tables() -> None:
    for model in (SyncError, SyncHistory, HubSpotContact):
        model.objects.all().delete()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pages=pages, batch_size=st.integers(1, 4))
def test_hostile_pages_when_saved_then_nothing_escapes_and_every_id_stored_or_reported(
        pages, batch_size):
    reset_tables()
    CannedContactEngine([[{"id": "100", "properties": {}, "updatedAt": iso(T0),
                           "createdAt": iso(T0), "archived": False}]],
                        SyncOptions(full=True)).run()
    inputs = [decoded(page) for page in pages]
    result = CannedContactEngine(inputs, SyncOptions(since=T0, batch_size=batch_size)).run()

    assert HubSpotContact.objects.filter(pk="100").exists()  # nothing stored is lost
    errors = set(SyncError.objects.filter(severity="error").values_list("object_id", flat=True))
    stored = {row.id: row for row in HubSpotContact.objects.all()}
    for object_id, record in newest_copies(inputs).items():
        row = stored.get(object_id)
        assert object_id in errors or (
            row is not None and row.properties == record["properties"]
            and row.updated_at == identify(record)["updated_at"]), object_id
    not_records = sum(1 for page in inputs for r in page if not isinstance(r, dict))
    assert result.counts.failed >= not_records
    assert result.counts.created <= len(stored) - 1  # each id counted once at most
