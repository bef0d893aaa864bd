"""History as time ranges (ingestion/sync/hubspot/history_views.py): the ranges view, each
record type's versions, the deals' days (PostgreSQL), and the analysts' documented queries,
on a deal moved through its pipeline in the emulator at frozen times."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from sync_commands import run_command

from hubspot_emulator.timeutil import FIXED_EPOCH_MS
from ingestion.models import HubSpotDeal, HubSpotPropertyHistory, HubSpotViewColumn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

DEAL, OTHER = "30000000001", "30000000006"
HOUR, DAY = 3_600_000, 86_400_000
T0 = FIXED_EPOCH_MS + 5 * DAY  # after every generated write (2026-01-01): 2026-01-06
# (deal, property, value, when): both deals move through the default pipeline; DEAL's amount
# changes between its stage moves; two of DEAL's stage writes land in the same millisecond.
MOVES = [
    (DEAL, "dealstage", "qualifiedtobuy", T0 + 10 * HOUR),
    (DEAL, "amount", "1500", T0 + 20 * HOUR),
    (DEAL, "dealstage", "presentationscheduled", T0 + DAY + 12 * HOUR),
    (DEAL, "dealstage", "decisionmakerboughtin", T0 + 3 * DAY + 9 * HOUR),
    (DEAL, "dealstage", "contractsent", T0 + 3 * DAY + 9 * HOUR),  # the same millisecond
    (DEAL, "dealstage", "closedwon", T0 + 5 * DAY),
    (OTHER, "dealstage", "closedlost", T0 + 2 * DAY + 6 * HOUR),
]
SAME_TIME = T0 + 3 * DAY + 9 * HOUR


def at(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def as_datetime(value) -> dt.datetime | None:
    """A view's timestamp: a datetime (PostgreSQL) or UTC text (SQLite)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def query(sql: str, params: tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def moved(hubspot, settings):
    """Deal and lifecycle stages kept by default, the deals' amount by configuration; the
    deals moved, then mirrored (a first run reads every live record's history)."""
    settings.HUBSPOT_PROPERTY_HISTORY = ("deals:amount",)
    for deal, prop, value, when in MOVES:
        hubspot.control.set_clock(when)
        hubspot.control.update("deals", deal, {prop: value})
    hubspot.control.set_clock(None)
    run_command("sync_hubspot_pipelines")
    run_command("sync_hubspot_properties")  # builds the views
    run_command("sync_hubspot_deals", "--skip-associations")
    return hubspot


def kept(object_id: str, prop: str) -> list[tuple[dt.datetime, str | None]]:
    """The versions the ranges keep, worked out from the table: one per timestamp (the
    highest key), oldest first."""
    by_time: dict[dt.datetime, HubSpotPropertyHistory] = {}
    for version in HubSpotPropertyHistory.objects.filter(
            object_type="deals", object_id=object_id, property=prop):
        when = version.timestamp
        if when not in by_time or version.key > by_time[when].key:
            by_time[when] = version
    return [(when, by_time[when].value) for when in sorted(by_time)]


def value_at(versions: list[tuple[dt.datetime, str | None]], when: dt.datetime):
    found = None
    for since, value in versions:
        if since <= when:
            found = value
    return found


def test_ranges_when_deal_moved_then_one_range_per_version_with_next_as_end(moved):
    rows = query("SELECT value, valid_from, valid_to, is_current, source_type "
                 "FROM hubspot_property_history_ranges_v WHERE object_type = 'deals' "
                 "AND object_id = %s AND property = 'dealstage' ORDER BY valid_from", (DEAL,))
    versions = kept(DEAL, "dealstage")
    assert [r[0] for r in rows] == [v for _, v in versions]
    assert [r[0] for r in rows][-4:] == ["qualifiedtobuy", "presentationscheduled",
                                         rows[-2][0], "closedwon"]
    assert [as_datetime(r[1]) for r in rows] == [when for when, _ in versions]
    assert [as_datetime(r[2]) for r in rows] == [when for when, _ in versions[1:]] + [None]
    assert [bool(r[3]) for r in rows] == [False] * (len(rows) - 1) + [True]
    assert rows[0][4] == "IMPORT" and rows[-1][4] == "CRM_UI"
    assert as_datetime(rows[-1][1]) == at(T0 + 5 * DAY)


def test_ranges_when_two_versions_share_a_millisecond_then_one_kept_by_highest_key(moved):
    same = HubSpotPropertyHistory.objects.filter(object_id=DEAL, property="dealstage",
                                                 timestamp=at(SAME_TIME))
    assert same.count() == 2
    winner = max(same, key=lambda v: v.key).value
    rows = query("SELECT value, valid_from, valid_to FROM hubspot_property_history_ranges_v "
                 "WHERE object_id = %s AND property = 'dealstage' ORDER BY valid_from", (DEAL,))
    at_same = [r for r in rows if as_datetime(r[1]) == at(SAME_TIME)]
    assert [r[0] for r in at_same] == [winner]
    assert as_datetime(at_same[0][2]) == at(T0 + 5 * DAY)


def test_ranges_when_every_record_read_then_none_empty_none_overlapping_one_current(moved):
    rows = query("SELECT object_type, object_id, property, valid_from, valid_to, is_current "
                 "FROM hubspot_property_history_ranges_v "
                 "ORDER BY object_type, object_id, property, valid_from")
    assert len(rows) >= HubSpotDeal.objects.filter(archived=False).count()
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[:3], []).append(row[3:])
    for ranges in groups.values():
        for (start, end, current), (following, *_) in itertools.pairwise(ranges):
            assert as_datetime(start) < as_datetime(end) == as_datetime(following)
            assert not current
        assert ranges[-1][1] is None and ranges[-1][2]
    assert {key[2] for key in groups} == {"dealstage", "amount"}


def test_deal_history_view_when_moved_then_each_change_a_version_with_every_kept_value(moved):
    columns = dict(HubSpotViewColumn.objects.filter(view_name="hubspot_deal_history_v")
                   .values_list("column_name", "sql_type"))
    assert columns == {"id": "text", "valid_from": "timestamp", "valid_to": "timestamp",
                       "is_current": "boolean", "amount": "numeric", "dealstage": "text"}
    rows = query("SELECT valid_from, valid_to, is_current, dealstage, amount "
                 "FROM hubspot_deal_history_v WHERE id = %s ORDER BY valid_from", (DEAL,))
    stages, amounts = kept(DEAL, "dealstage"), kept(DEAL, "amount")
    points = sorted({when for when, _ in stages + amounts})
    assert [as_datetime(r[0]) for r in rows] == points
    assert [as_datetime(r[1]) for r in rows] == [*points[1:], None]
    for (_, _, current, stage, amount), when in zip(rows, points, strict=True):
        assert stage == value_at(stages, when)
        expected = value_at(amounts, when)
        assert (None if amount is None else Decimal(str(amount))) == (
            None if expected is None else Decimal(expected))
        assert bool(current) == (when == points[-1])
    assert [r[3] for r in rows if as_datetime(r[0]) == at(T0 + 20 * HOUR)] == [
        "qualifiedtobuy"]  # the amount's change: the stage carried over
    assert Decimal(str(rows[-1][4])) == 1500


def test_daily_view_when_postgresql_then_one_row_per_day_with_the_days_last_value(moved):
    if connection.vendor != "postgresql":
        assert not query("SELECT name FROM sqlite_master WHERE name = 'hubspot_deal_daily_v'")
        return
    rows = query("SELECT day, dealstage, amount FROM hubspot_deal_daily_v WHERE id = %s "
                 "ORDER BY day", (DEAL,))
    stages = kept(DEAL, "dealstage")
    first = stages[0][0].date()
    [(today,)] = query("SELECT (now() AT TIME ZONE 'UTC')::date")
    assert [r[0] for r in rows] == [first + dt.timedelta(days=n)
                                    for n in range((today - first).days + 1)]
    for day, stage, _ in rows:
        end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
        assert stage == value_at([(w, v) for w, v in stages if w < end_of_day], end_of_day)
    by_day = {r[0]: r[1] for r in rows}
    assert by_day[at(T0).date()] == "qualifiedtobuy"
    assert by_day[at(T0 + 3 * DAY).date()] == value_at(stages, at(SAME_TIME))
    assert by_day[at(T0 + 5 * DAY).date()] == "closedwon"


def documented(title: str) -> str:
    """The query of docs/analysts.md for this database whose first line is
    `-- <database>: <title>`, as written there."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "analysts.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```sql\n")[1:]]
    database = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
    (found,) = [b for b in blocks if b.startswith(f"-- {database}: {title}\n")]
    return found


def live_deals() -> dict[str, tuple[str, str | None]]:
    """Each live deal's (pipeline, amount now)."""
    return {d.pk: (d.properties.get("pipeline"), d.properties.get("amount"))
            for d in HubSpotDeal.objects.filter(archived=False)}


def test_time_in_stage_query_when_deals_moved_then_matches_the_versions(moved):
    rows = query(documented("time in each deal stage"))
    labels = dict(query("SELECT stage_id, label FROM hubspot_pipeline_stage "
                        "WHERE object_type = 'deals' AND pipeline_id = 'default'"))
    # The same answer from the table: per deal and stage, the days of its completed stays.
    per_stage: dict[tuple, list] = {}
    for deal, (pipeline, _) in live_deals().items():
        stays = kept(deal, "dealstage")
        days: dict[str, list] = {}
        for (start, stage), (end, _) in itertools.pairwise([*stays, (None, None)]):
            spent = days.setdefault(stage, [Decimal(0), False])
            if end is None:
                spent[1] = True  # in it now
            else:
                spent[0] += Decimal((end - start).total_seconds()) / 86400
        for stage, (total, now) in days.items():
            per_stage.setdefault((pipeline, stage), []).append((total, now))
    expected = {}
    for (pipeline, stage), deals in per_stage.items():
        left = [total for total, now in deals if not now]
        average = (sum(left) / len(left)).quantize(Decimal("0.01")) if left else None
        expected[(pipeline, stage)] = (len(deals), sum(now for _, now in deals), average)
    by_label = {label: stage for stage, label in labels.items()}
    answered = {("default", by_label[label]): (entered, now, days)
                for pipeline, label, entered, now, days in rows if pipeline == "default"}
    wanted = {k: v for k, v in expected.items() if k[0] == "default" and k[1] in labels}
    assert answered.keys() == wanted.keys()
    for key, (entered, now, days) in answered.items():
        assert (entered, now) == wanted[key][:2], key
        assert (days is None) == (wanted[key][2] is None), key
        if days is not None:  # rounded by the database (SQLite: from floating point)
            assert abs(Decimal(str(days)) - wanted[key][2]) <= Decimal("0.01"), key
    assert Decimal(str(answered[("default", "presentationscheduled")][2])) == Decimal(
        "1.88")  # DEAL alone, 45 hours
    assert answered[("default", "closedwon")][1] >= 1


def test_pipeline_as_of_query_when_deals_moved_then_stages_of_that_date(moved):
    sql = documented("pipeline as of a date")
    [stamp] = set(re.findall(r"'(\d{4}-\d\d-\d\d) 00:00:00", sql))
    when = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)
    assert at(MOVES[0][3]) < when < at(MOVES[-2][3])  # the moves straddle the date
    expected: dict[tuple, list] = {}
    for deal, (pipeline, amount) in live_deals().items():
        stage = value_at(kept(deal, "dealstage"), when)
        if kept(deal, "dealstage")[0][0] <= when:
            counted = expected.setdefault((pipeline, stage), [0, Decimal(0)])
            counted[0] += 1
            counted[1] += Decimal(amount or 0)
    rows = query(sql)
    assert {(p, s): [n, Decimal(str(total or 0))] for p, s, n, total in rows} == expected
    assert value_at(kept(DEAL, "dealstage"), when) == "presentationscheduled"
    assert value_at(kept(OTHER, "dealstage"), when) == "closedlost"


def history_views() -> dict[str, dict[str, str | None]]:
    """Each history view's columns, with the property behind each."""
    views: dict[str, dict[str, str | None]] = {}
    for view, column, prop in HubSpotViewColumn.objects.filter(
            view_name__contains="history").values_list("view_name", "column_name",
                                                       "property_name"):
        views.setdefault(view, {})[column] = prop
    return views


def test_build_when_stages_kept_by_default_then_views_before_any_version_and_off_dropped(
        hubspot, settings):
    built = run_command("build_hubspot_views").out
    for view in ("hubspot_property_history_ranges_v", "hubspot_deal_history_v",
                 "hubspot_contact_history_v", "hubspot_company_history_v"):
        assert f"built {view}\n" in built
    assert ("built hubspot_deal_daily_v" in built) == (connection.vendor == "postgresql")
    assert query("SELECT * FROM hubspot_deal_history_v") == []
    settings.HUBSPOT_STAGE_HISTORY = False
    dropped = run_command("build_hubspot_views").out
    assert "dropped hubspot_deal_history_v" in dropped
    assert set(history_views()) == {"hubspot_property_history_ranges_v"}


def test_build_when_property_kept_once_by_flag_then_joins_its_types_view(hubspot):
    run_command("sync_hubspot_properties")
    assert history_views()["hubspot_contact_history_v"] == {
        "id": None, "valid_from": None, "valid_to": None, "is_current": None,
        "lifecyclestage": "lifecyclestage"}
    run_command("sync_hubspot_contacts", "--skip-associations", "--with-history", "email")
    run_command("build_hubspot_views")
    assert history_views()["hubspot_contact_history_v"]["email"] == "email"
    [(emails,)] = query("SELECT count(email) FROM hubspot_contact_history_v WHERE is_current")
    assert emails == HubSpotPropertyHistory.objects.filter(property="email").values(
        "object_id").distinct().count() > 0


def test_build_when_property_named_like_a_range_column_then_digest_suffix(hubspot, settings):
    hubspot.control.add_property("deals", {"name": "valid_from", "type": "datetime",
                                           "fieldType": "date"})
    settings.HUBSPOT_PROPERTY_HISTORY = ("deals:valid_from",)
    run_command("sync_hubspot_properties")
    view = history_views()["hubspot_deal_history_v"]
    assert view["valid_from"] is None  # the range's own column
    [renamed] = [column for column, prop in view.items() if prop == "valid_from"]
    assert re.fullmatch(r"valid_from_[0-9a-f]{6}", renamed)
    assert query(f'SELECT "{renamed}", valid_from FROM hubspot_deal_history_v') == []
