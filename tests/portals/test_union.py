"""Analysts' views of several portals: each portal's typed views and Fivetran layer read its
own rows only, and the union across portals (PostgreSQL: schema hubspot_all; SQLite: the file
`<stem>.hubspot-all.sqlite3`) holds every portal's rows with `portal_id` and `portal` first,
its columns lined up (NULL where a portal lacks a property), a removed portal left out."""

from __future__ import annotations

import io
import sqlite3

import pytest
from django.core.management import call_command
from django.db import connection
from sync_commands import run_command

from ingestion.base.backends.base import quote_name
from ingestion.base.scopes import scope_for
from ingestion.models import HubSpotPortal
from ingestion.sync.hubspot.accounts import in_portal
from ingestion.sync.hubspot.fivetran.layout import schema_of, view_name
from ingestion.sync.hubspot.union import UNION_SCHEMA, union_file

from .conftest import NAMES, portal_command
from .test_isolation import upstream_contacts

pytestmark = pytest.mark.django_db(transaction=True)

EXTRA = "b_only_score"  # a custom contact property portal b has and portal a has not


@pytest.fixture
def union_dropped(scopes_dropped):
    """The union and the named portals' Fivetran schemas gone after the test (the scopes'
    own drop does not reach them)."""
    yield
    union_file().unlink(missing_ok=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for schema in [UNION_SCHEMA, *(schema_of(scope_for(n)) for n in NAMES)]:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_name(schema)} CASCADE")


@pytest.fixture
def synced(two_portals, union_dropped):
    """Portals a and b with their properties and contacts synced, b's contact carrying
    a property a does not define; the typed views built by the property syncs and the
    Fivetran layer by hand, for each portal; the union made (SQLite: its file)."""
    first, second = two_portals
    second.control.add_property("contacts", {"name": EXTRA, "type": "number",
                                             "fieldType": "number"})
    second.control.update("contacts", b_contact(second), {EXTRA: "42"})
    for name in ("a", "b"):
        run_command("sync_hubspot_properties", "--portal", name)
        run_command("sync_hubspot_contacts", "--portal", name, "--skip-associations")
        build_views("--portal", name, "--layout", "fivetran")
    build_views("--all-portals", "--union")
    return first, second


def b_contact(second) -> str:
    """The second portal's lowest contact id: the one given the extra property."""
    return min(upstream_contacts(second), key=int)


def build_views(*flags: str) -> str:
    out = io.StringIO()
    call_command("build_hubspot_views", *flags, stdout=out)
    return out.getvalue()


def portal_ids(portal: str, relation: str, id_column: str = "id") -> set[str]:
    """The ids in one portal's `relation` (a quoted name), read in that portal's scope."""
    with in_portal(portal), connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote_name(id_column)} FROM {relation}")
        return {str(row[0]) for row in cursor.fetchall()}


def union_rows(relation: str, columns: tuple[str, ...]) -> list[tuple]:
    """Rows of the union's `relation`: the schema's view, or the file's table."""
    names = ", ".join(quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {names} FROM {quote_name(UNION_SCHEMA)}."
                           f"{quote_name(relation)}")
            return cursor.fetchall()
    with sqlite3.connect(union_file()) as db:
        return db.execute(f"SELECT {names} FROM {quote_name(relation)}").fetchall()


def layer_table(name: str) -> str:
    """A Fivetran table's name in the union (SQLite: with the layer's prefix, as in a
    portal's file)."""
    return name if connection.vendor == "postgresql" else f"hubspot_fivetran_{name}"


def by_portal(rows: list[tuple]) -> dict[str, set]:
    """(portal_id, portal, id, …) rows → portal → {(portal_id, id)}."""
    found: dict[str, set] = {}
    for portal_id, portal, record_id, *_ in rows:
        found.setdefault(portal, set()).add((portal_id, str(record_id)))
    return found


def test_views_when_two_portals_synced_then_each_portals_views_hold_its_own_rows(synced):
    a_ids = portal_ids("a", "hubspot_contact")
    b_ids = portal_ids("b", "hubspot_contact")
    assert len(a_ids) == 40 and len(b_ids) == 25 and not a_ids & b_ids
    assert portal_ids("a", quote_name("hubspot_contact_v")) == a_ids
    assert portal_ids("b", quote_name("hubspot_contact_v")) == b_ids
    with in_portal("a"):
        a_contact = view_name("contact")
    with in_portal("b"):
        b_contact = view_name("contact")
    assert portal_ids("a", a_contact) == a_ids and portal_ids("b", b_contact) == b_ids
    if connection.vendor == "postgresql":  # a layer schema per portal, not one shared
        assert (a_contact, b_contact) == ('"hubspot_fivetran_a"."contact"',
                                          '"hubspot_fivetran_b"."contact"')


def test_union_when_two_portals_synced_then_every_row_with_its_portal_id_and_name(synced):
    a_portal_id = HubSpotPortal.objects.get(name="a").portal_id  # learnt from HubSpot by add
    assert a_portal_id not in (None, 2002)
    a_ids = {(a_portal_id, i) for i in portal_ids("a", "hubspot_contact")}
    b_ids = {(2002, i) for i in portal_ids("b", "hubspot_contact")}
    for relation in ("hubspot_contact", "hubspot_contact_v", layer_table("contact")):
        rows = by_portal(union_rows(relation, ("portal_id", "portal", "id")))
        assert rows == {"a": a_ids, "b": b_ids}, relation


def test_union_when_one_portal_has_an_extra_property_then_null_for_the_other(synced):
    rows = union_rows("hubspot_contact_v", ("portal", "id", EXTRA))
    extra = {(portal, str(record_id)): value for portal, record_id, value in rows}
    assert float(extra[("b", b_contact(synced[1]))]) == 42
    assert {value for (portal, _), value in extra.items() if portal == "a"} == {None}
    assert sum(1 for portal, _ in extra if portal == "a") == 40
    with in_portal("a"), connection.cursor() as cursor:  # a's own view has no such column
        cursor.execute(f"SELECT * FROM {quote_name('hubspot_contact_v')} LIMIT 0")
        assert EXTRA not in {d[0] for d in cursor.description}


def test_union_when_portal_removed_then_left_out(synced):
    assert {p for p, *_ in union_rows("hubspot_contact", ("portal",))} == {"a", "b"}
    portal_command("remove", "b")  # rows kept in b's storage, yet out of the union
    assert {p for p, *_ in union_rows("hubspot_contact", ("portal",))} == {"a"}
    assert {p for p, *_ in union_rows(layer_table("contact"), ("portal",))} == {"a"}
    portal_command("remove", "a", "--purge")
    if connection.vendor == "postgresql":  # no portal registered: no union
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regnamespace(%s)", [UNION_SCHEMA])
            assert cursor.fetchone()[0] is None
    else:
        assert not union_file().exists()


def test_union_when_a_portals_views_rebuilt_then_union_follows_and_implicit_joins(
        synced, settings):
    first, _ = synced
    first.control.add_property("contacts", {"name": "a_only_rank", "type": "number",
                                            "fieldType": "number"})
    run_command("sync_hubspot_properties", "--portal", "a")  # rebuilds a's views, the union
    rows = union_rows("hubspot_contact_v", ("portal", "a_only_rank", EXTRA))
    assert {portal for portal, *_ in rows} == {"a", "b"}  # the implicit portal: no runs yet
    assert {(portal, rank) for portal, rank, _ in rows} == {("a", None), ("b", None)}
    settings.HUBSPOT_PORTAL_ID = 1001
    run_command("sync_hubspot_properties")  # the implicit portal has a run now
    run_command("sync_hubspot_contacts", "--skip-associations")
    build_views("--union")
    rows = by_portal(union_rows("hubspot_contact", ("portal_id", "portal", "id")))
    assert set(rows) == {"default", "a", "b"}
    assert {pid for pid, _ in rows["default"]} == {1001}
    assert {i for _, i in rows["default"]} == {i for _, i in rows["a"]}  # one emulator
