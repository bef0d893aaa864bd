"""Typed views (`hubspot_<type>_v`): built from the synced property definitions, one column
per property, cast safely; rebuilt when the definitions change."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from sync_commands import run_command

from ingestion.models import HubSpotDeal, HubSpotPropertyHistory, HubSpotViewColumn
from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES
from ingestion.sync.hubspot.typed_views import build_views, clean_name, column_names

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

DEAL = "30000000001"


def view_rows(view: str, columns: list[str], where: str = "") -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {names} FROM "{view}" {where}')
        return cursor.fetchall()


def view_types(view: str) -> dict[str, str]:
    """Each column's type as the database reports it (PostgreSQL), or the storage class of
    its first non-null value (SQLite keeps no declared types for computed view columns)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_name = %s", [view])
            return dict(cursor.fetchall())
        cursor.execute(f'SELECT * FROM "{view}" LIMIT 0')
        names = [d[0] for d in cursor.description]
        found = {}
        for name in names:
            cursor.execute(f'SELECT typeof("{name}") FROM "{view}" WHERE "{name}" IS NOT NULL '
                           f'LIMIT 1')
            row = cursor.fetchone()
            found[name] = row[0] if row else "null"
        return found


EXPECTED = {  # the view type of a definition, on each database
    "numeric": {"postgresql": "numeric", "sqlite": ("integer", "real")},
    "timestamp": {"postgresql": "timestamp with time zone", "sqlite": ("text",)},
    "date": {"postgresql": "date", "sqlite": ("text",)},
    "boolean": {"postgresql": "boolean", "sqlite": ("integer",)},
    "array": {"postgresql": "ARRAY", "sqlite": ("text",)},
    "text": {"postgresql": "text", "sqlite": ("text",)},
}


@pytest.fixture
def synced(hubspot):
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_deals", "--skip-associations")
    run_command("sync_hubspot_contacts", "--skip-associations")
    return hubspot


def test_sync_when_done_then_every_type_has_a_view_typed_from_its_definitions(synced):
    columns = {c.column_name: c for c in HubSpotViewColumn.objects.filter(
        view_name="hubspot_deal_v")}
    assert {"id", "created_at", "updated_at", "archived", "amount", "closedate",
            "dealstage"} <= set(columns)
    assert (columns["amount"].sql_type, columns["closedate"].sql_type) == ("numeric",
                                                                          "timestamp")
    types = view_types("hubspot_deal_v")
    assert types["archived"] in ("boolean", "integer")
    for column in (c for c in columns.values() if c.property_name is not None):
        reported = types[column.column_name]
        wanted = EXPECTED[column.sql_type][connection.vendor]
        assert reported == "null" or reported in wanted, (column.column_name, reported)
    views = set(HubSpotViewColumn.objects.values_list("view_name", flat=True))
    assert {"hubspot_contact_v", "hubspot_company_v", "hubspot_line_item_v", "hubspot_call_v",
            "hubspot_task_v"} <= views
    assert any(v.startswith("hubspot_custom_") for v in views)  # the emulator's custom type


def test_view_when_read_then_values_cast_from_the_raw_strings(synced):
    deal = next(d for d in HubSpotDeal.objects.order_by("pk") if d.properties.get("amount")
                and d.properties.get("closedate") and not d.archived)
    [(amount, closedate, stage, archived)] = view_rows(
        "hubspot_deal_v", ["amount", "closedate", "dealstage", "archived"],
        f"WHERE id = '{deal.pk}'")
    assert Decimal(str(amount)) == Decimal(deal.properties["amount"])
    assert stage == deal.properties["dealstage"]
    assert not archived
    parsed = closedate if isinstance(closedate, dt.datetime) else dt.datetime.fromisoformat(
        closedate).replace(tzinfo=dt.UTC)
    raw = dt.datetime.fromisoformat(deal.properties["closedate"].replace("Z", "+00:00"))
    assert abs(parsed - raw) < dt.timedelta(milliseconds=1)


BAD_VALUES = [("amount", "12abc"), ("amount", "1e99999999"), ("closedate", "2024-02-30"),
              ("closedate", "yesterday"), ("closedate", "2024-01-01T25:00:00Z"),
              ("hs_is_closed_won", "maybe")]


@pytest.mark.parametrize(("prop", "bad"), BAD_VALUES)
def test_view_when_value_does_not_parse_then_null_in_view_and_intact_in_table(
        synced, prop, bad):
    synced.control.update("deals", DEAL, {prop: bad})
    run_command("sync_hubspot_deals", "--skip-associations")
    assert HubSpotDeal.objects.get(pk=DEAL).properties[prop] == bad
    assert view_rows("hubspot_deal_v", [prop], f"WHERE id = '{DEAL}'") == [(None,)]
    assert len(view_rows("hubspot_deal_v", ["id", prop])) == HubSpotDeal.objects.count()


@pytest.mark.parametrize(("value", "expected"), [
    ("1700000000000", dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)),  # epoch ms
    ("2024-02-29", dt.datetime(2024, 2, 29, tzinfo=dt.UTC)),
    ("2024-03-01T10:20:30+02:00", dt.datetime(2024, 3, 1, 8, 20, 30, tzinfo=dt.UTC)),
])
def test_view_when_datetime_in_another_accepted_form_then_read(synced, value, expected):
    synced.control.update("deals", DEAL, {"closedate": value})
    run_command("sync_hubspot_deals", "--skip-associations")
    [(closedate,)] = view_rows("hubspot_deal_v", ["closedate"], f"WHERE id = '{DEAL}'")
    if isinstance(closedate, str):
        closedate = dt.datetime.fromisoformat(closedate).replace(tzinfo=dt.UTC)
    assert closedate == expected


def test_definitions_when_property_added_upstream_then_column_after_next_properties_sync(
        synced):
    synced.control.add_property("deals", {"name": "renewal_value", "type": "number",
                                          "fieldType": "number"})
    synced.control.update("deals", DEAL, {"renewal_value": "1234.50"})
    run_command("sync_hubspot_deals", "--skip-associations")
    assert "renewal_value" not in view_types("hubspot_deal_v")
    run_command("sync_hubspot_properties")  # no migration: the view follows the definitions
    [(value,)] = view_rows("hubspot_deal_v", ["renewal_value"], f"WHERE id = '{DEAL}'")
    assert Decimal(str(value)) == Decimal("1234.5")


HOSTILE = ['x"; DROP TABLE hubspot_deal; --', "it's", "Amount", "amount", "1st_touch",
           "a.b", "ünïcode", "$.weird[0]", "back\\slash", "id", "archived", "x" * 120, "%s"]


def test_definitions_when_names_are_hostile_then_quoted_and_mapped_one_to_one(synced):
    for n, name in enumerate(HOSTILE):
        if name != "amount":
            synced.control.add_property("deals", {"name": name, "type": "number",
                                                  "fieldType": "number"})
        synced.control.update("deals", DEAL, {name: str(100 + n)})
    run_command("sync_hubspot_deals", "--skip-associations")
    run_command("sync_hubspot_properties")
    mapped = dict(HubSpotViewColumn.objects.filter(view_name="hubspot_deal_v").exclude(
        property_name=None).values_list("property_name", "column_name"))
    assert len(set(mapped.values())) == len(mapped)  # one column per property
    assert mapped["amount"] == "amount" and mapped["Amount"].startswith("amount_")
    assert mapped["1st_touch"] == "p_1st_touch" and mapped["id"].startswith("id_")
    assert all(len(column) <= 63 for column in mapped.values())
    for n, name in enumerate(HOSTILE):
        [(value,)] = view_rows("hubspot_deal_v", [mapped[name]], f"WHERE id = '{DEAL}'")
        assert Decimal(str(value)) == 100 + n, name
    assert HubSpotDeal.objects.count() > 0  # nothing was dropped


def test_naming_when_same_definitions_then_same_columns_whatever_their_order():
    names = ["Deal Stage", "deal_stage", "deal-stage", "ÄBC", "abc", "9lives", ""]
    assert column_names(names) == column_names(list(reversed(names)))
    mapped = column_names(names)
    assert mapped["deal_stage"] == "deal_stage" and mapped["abc"] == "abc"
    assert mapped[""] == "property" and clean_name("9lives") == "p_9lives"


def test_build_when_nothing_changed_then_views_left_alone_and_rebuild_recreates(synced):
    report = build_views(RECORD_ENGINES)
    assert report.built == [] and "hubspot_deal_v" in report.unchanged
    assert "hubspot_deal_v" in build_views(RECORD_ENGINES, rebuild=True).built


def test_build_when_run_by_command_then_summary_and_views(hubspot):
    run = run_command("build_hubspot_views")
    assert "hubspot_contact_v" in run.out and "built" in run.out
    assert view_rows("hubspot_contact_v", ["id"]) == []  # exists, with the record columns


def test_migrate_when_views_exist_then_tables_can_still_be_rebuilt(synced):
    from django.core.management import call_command

    call_command("migrate", "ingestion", "0007", verbosity=0)
    call_command("migrate", "ingestion", verbosity=0)
    assert view_rows("hubspot_deal_v", ["id"], f"WHERE id = '{DEAL}'") == [(DEAL,)]


def documented_queries() -> list[str]:
    """The SQL examples of docs/analysts.md, as written there."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "analysts.md").read_text()
    return [block.split("```", 1)[0] for block in text.split("```sql\n")[1:]]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_documented_queries_when_run_on_a_synced_mirror_then_answer(synced):
    synced.control.update("contacts", "10000000001", {"lifecyclestage": "customer"})
    run_command("sync_hubspot_pipelines")
    run_command("sync_hubspot_contacts", "--skip-associations", "--with-history",
                "lifecyclestage")
    (pipeline,) = [q for q in documented_queries() if "sum(d.amount) AS value" in q]
    (lifecycle,) = [q for q in documented_queries() if "date_trunc('month'" in q]
    with connection.cursor() as cursor:
        cursor.execute(pipeline)
        by_stage = cursor.fetchall()
        cursor.execute(lifecycle)
        by_month = cursor.fetchall()
    live = HubSpotDeal.objects.filter(archived=False).count()
    assert by_stage and sum(row[1] for row in by_stage) == live
    # The month the change landed in, from the run's own record of it (never today's date).
    changed = HubSpotPropertyHistory.objects.get(
        object_type="contacts", property="lifecyclestage", object_id="10000000001",
        value="customer").timestamp.astimezone(dt.UTC)
    month = changed.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_end = (month + dt.timedelta(days=32)).replace(day=1)
    latest: dict[str, str] = {}  # the same answer, worked out in Python from the table
    for version in HubSpotPropertyHistory.objects.filter(
            object_type="contacts", property="lifecyclestage",
            timestamp__lt=month_end).order_by("timestamp"):
        latest[version.object_id] = version.value
    expected = Counter(stage for stage in latest.values() if stage)
    that_month = {stage: n for when, stage, n in by_month
                  if (when.year, when.month) == (month.year, month.month)}
    assert that_month == expected and that_month["customer"] >= 1
