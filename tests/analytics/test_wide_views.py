"""Wide types and long names in the typed views (docs/analysts.md#column-names): a type with
more properties than a view can hold gets further views `<view>_2` …, joined on `id`, so every
property has a column; a name too long for PostgreSQL's 63-byte identifiers gets a column of
its own, the same whatever other properties exist."""

from __future__ import annotations

from decimal import Decimal
from hashlib import sha1

import pytest
from django.conf import settings
from django.db import connection
from sync_commands import run_command

from hubspot_emulator.pytest_plugin import DEFAULT_PORTAL
from ingestion.models import HubSpotDeal, HubSpotProperty, HubSpotViewColumn
from ingestion.sync.hubspot.typed_views import (
    PROPERTIES_PER_VIEW,
    RECORD_COLUMNS,
    column_names,
    part_name,
    split_columns,
)

DEAL = "30000000001"
WIDE = 1_650  # with the deal type's own properties, past PostgreSQL's 1,600 columns a view


def digest(name: str) -> str:
    return sha1(name.encode()).hexdigest()[:6]


def deal_views() -> dict[str, list[HubSpotViewColumn]]:
    """The deal type's views and their recorded columns, in order."""
    views: dict[str, list[HubSpotViewColumn]] = {}
    for column in HubSpotViewColumn.objects.filter(  # not the history views
            object_type="deals", view_name__startswith="hubspot_deal_v").order_by(
            "view_name", "position"):
        views.setdefault(column.view_name, []).append(column)
    return views


def select_row(view: str, record_id: str) -> dict[str, object]:
    """Every column of one record in a view (so every column is selectable)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{view}" WHERE id = %s', [record_id])
        names = [d[0] for d in cursor.description]
        [row] = cursor.fetchall()
    return dict(zip(names, row, strict=True))


def database_views() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor, include_views=True))


def assert_fivetran_deal_split(wide: list[str]) -> None:
    """The Fivetran layer splits the same way: `deal` and `deal_2`, joined on deal_id."""
    run_command("build_hubspot_views", "--layout", "fivetran")
    if connection.vendor == "postgresql":
        names = [f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}"."{t}"' for t in ("deal", "deal_2")]
    else:
        names = [f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}_{t}"' for t in ("deal", "deal_2")]
    row: dict[str, object] = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SELECT * FROM {name} WHERE deal_id = %s", [int(DEAL)])
            columns = [d[0] for d in cursor.description]
            assert len(columns) <= 1_600
            row |= dict(zip(columns, cursor.fetchone(), strict=True))
    assert [Decimal(str(row[f"property_{name}"])) for name in wide] == list(range(WIDE))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("few_attempts")
def test_type_with_more_properties_than_a_view_holds_when_synced_then_every_one_has_a_column(
        hubspot):
    wide = [f"wide_{n:04d}" for n in range(WIDE)]
    for name in wide:
        hubspot.control.add_property("deals", {"name": name, "type": "number",
                                               "fieldType": "number"})
    hubspot.control.update("deals", DEAL, {name: str(n) for n, name in enumerate(wide)})
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_deals", "--skip-associations")

    views = deal_views()
    assert sorted(views) == ["hubspot_deal_v", "hubspot_deal_v_2"]
    first, second = views["hubspot_deal_v"], views["hubspot_deal_v_2"]
    assert [c.column_name for c in first[:len(RECORD_COLUMNS)]] == list(RECORD_COLUMNS)
    assert (second[0].column_name, second[0].property_name) == ("id", None)
    assert len(first) - len(RECORD_COLUMNS) == PROPERTIES_PER_VIEW
    assert len(first) <= 1_600 and len(second) <= 1_600  # PostgreSQL's limit
    # Every definition is in exactly one view; the views split the columns in name order.
    recorded = [c.property_name for c in first + second if c.property_name is not None]
    defined = set(HubSpotProperty.objects.filter(object_type="deals", archived=False)
                  .values_list("name", flat=True))
    assert len(recorded) == len(set(recorded)) and defined <= set(recorded)
    assert max(c.column_name for c in first[len(RECORD_COLUMNS):]) < min(
        c.column_name for c in second[1:])

    row = select_row("hubspot_deal_v", DEAL) | select_row("hubspot_deal_v_2", DEAL)
    assert [Decimal(str(row[name])) for name in wide] == list(range(WIDE))
    with connection.cursor() as cursor:  # joined back on id: one row per deal
        cursor.execute('SELECT count(*) FROM "hubspot_deal_v" v '
                       'JOIN "hubspot_deal_v_2" w ON w.id = v.id')
        assert cursor.fetchone()[0] == HubSpotDeal.objects.count()
    assert_fivetran_deal_split(wide)

    hubspot.control.reset(**DEFAULT_PORTAL)  # the wide properties are gone upstream
    run_command("sync_hubspot_properties")
    assert sorted(deal_views()) == ["hubspot_deal_v"]
    assert "hubspot_deal_v_2" not in database_views()
    assert "wide_0001" not in select_row("hubspot_deal_v", DEAL)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("few_attempts")
def test_names_longer_than_an_identifier_when_synced_then_distinct_columns_of_their_own(
        hubspot):
    shared = "renewal_forecast_" + "q" * 60  # 77 characters: the first 63 are the same
    names = [shared + "_north", shared + "_south", "Prévision " + "é" * 70, "日本語" * 30]
    for name in names:
        hubspot.control.add_property("deals", {"name": name, "type": "number",
                                               "fieldType": "number"})
    hubspot.control.update("deals", DEAL, {name: str(10 + n) for n, name in enumerate(names)})
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_deals", "--skip-associations")
    mapped = dict(HubSpotViewColumn.objects.filter(property_name__in=names).values_list(
        "property_name", "column_name"))
    assert mapped[names[0]] == shared[:56] + "_" + digest(names[0])
    assert mapped[names[1]] == shared[:56] + "_" + digest(names[1])
    assert mapped[names[2]] == ("prevision_" + "e" * 46) + "_" + digest(names[2])
    assert mapped[names[3]] == "property"  # nothing ASCII left, and no other claims it
    row = select_row("hubspot_deal_v", DEAL)
    assert [Decimal(str(row[mapped[name]])) for name in names] == [10, 11, 12, 13]


# -- the naming and splitting rules, which the Fivetran-compatible layer shares --------------

def test_column_names_when_long_then_cut_with_the_names_digest_whatever_else_exists():
    long = "a" * 70
    alone = column_names([long])[long]
    assert alone == "a" * 56 + "_" + digest(long) and len(alone) == 63
    crowded = column_names([long, "a" * 63, "a" * 56, "a" * 80, "x"])
    assert crowded[long] == alone and crowded["a" * 63] == "a" * 63  # 63 bytes fit whole
    assert len(set(crowded.values())) == 5


def test_column_names_when_non_ascii_then_ascii_and_at_most_63_bytes():
    names = ["ü" * 100, "Größe", "日本" * 40, "日本", "naïve café"]
    mapped = column_names(names)
    assert all(c.isascii() and len(c.encode()) <= 63 for c in mapped.values())
    assert mapped["Größe"] == "groe" and mapped["naïve café"] == "naive_cafe"
    assert mapped["ü" * 100] == "u" * 56 + "_" + digest("ü" * 100)
    # Both have nothing ASCII: the first in name order claims `property`, the other hashes.
    assert {mapped["日本"], mapped["日本" * 40]} == {
        "property", "property_" + digest(max(["日本", "日本" * 40]))}


def test_column_names_when_prefixed_then_prefix_counts_toward_the_limit_and_collisions():
    names = ["Amount", "amount", "1st_touch", "b" * 60, "id"]
    mapped = column_names(names, prefix="property_", reserved=("id", "property_amount_x"))
    assert mapped["amount"] == "property_amount"
    assert mapped["Amount"] == "property_amount_" + digest("Amount")
    assert mapped["1st_touch"] == "property_1st_touch"  # no `p_`: it starts with a letter
    assert mapped["b" * 60] == "property_" + "b" * 47 + "_" + digest("b" * 60)
    assert mapped["id"] == "property_id"
    assert column_names(["x"], prefix="property_", reserved=("property_x",)) == {
        "x": "property_x_" + digest("x")}


def test_column_names_when_same_definitions_in_any_order_then_same_columns():
    names = ["Deal Stage", "deal_stage", "deal-stage", "q" * 90, "Q" * 90, "id", "9lives"]
    assert column_names(names) == column_names(list(reversed(names)))
    mapped = column_names(names)
    assert mapped["deal_stage"] == "deal_stage" and mapped["9lives"] == "p_9lives"
    assert mapped["id"] == "id_" + digest("id")  # the record's own column comes first
    assert len(set(mapped.values())) == len(names)


def test_split_columns_when_names_added_then_runs_in_name_order_and_few_move():
    names = [f"c{n:05d}" for n in range(0, 7_000, 2)]  # 3,500 names
    parts = split_columns(reversed(names), 1_500)
    assert [len(p) for p in parts] == [1_500, 1_500, 500]
    assert [n for p in parts for n in p] == names  # in name order, whatever the input order
    where = {n: k for k, part in enumerate(parts) for n in part}
    added = split_columns([*names, "c00001"], 1_500)  # one unrelated name, near the start
    moved = [n for k, part in enumerate(added) for n in part if n in where and where[n] != k]
    assert len(moved) == len(parts) - 1  # the last of each full view moves to the next
    assert split_columns([], 1_500) == [()]


def test_part_name_when_view_name_is_long_then_suffix_kept_within_63():
    assert part_name("hubspot_deal_v", 1) == "hubspot_deal_v"
    assert part_name("hubspot_deal_v", 2) == "hubspot_deal_v_2"
    long = "hubspot_custom_" + "n" * 46 + "_v"  # 63 characters
    assert part_name(long, 12) == long[:60] + "_12"
