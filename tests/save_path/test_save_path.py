"""The save path (normal save, force overwrite, dry run, failures, watermark) on captured
JSON: no HTTP, real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from ingestion.base.results import SyncOptions
from ingestion.models import HubSpotContact, SyncError, SyncHistory

from .factories import T0, CannedContactEngine, contact

pytestmark = pytest.mark.django_db(transaction=True)


def run(pages, **options):
    return CannedContactEngine(pages, SyncOptions(**options)).run()


def table_snapshot():
    return (list(HubSpotContact.objects.order_by("id").values()),
            list(SyncHistory.objects.order_by("id").values()),
            list(SyncError.objects.order_by("id").values()))


def test_empty_database_when_full_sync_then_every_record_created_with_typed_columns():
    result = run([[contact(1), contact(2)], [contact(3, phone="+1 555 0100")]], full=True)
    assert result.counts.as_dict() == {"fetched": 3, "created": 3, "updated": 0,
                                       "overwritten": 0, "skipped": 0, "archived": 0,
                                       "failed": 0}
    row = HubSpotContact.objects.get(pk="3")
    assert (row.email, row.phone, row.updated_at) == ("person3@example.com", "+1 555 0100",
                                                      T0 + timedelta(minutes=3))
    assert row.properties["favorite_color"] == "blue"  # custom property kept raw


def test_unchanged_records_when_synced_again_then_skipped_and_rows_untouched():
    run([[contact(1), contact(2)]], full=True)
    result = run([[contact(1), contact(2)]], full=True)
    assert (result.counts.skipped, result.counts.updated, result.counts.created) == (2, 0, 0)


def test_newer_record_with_cleared_property_when_synced_then_column_becomes_null():
    run([[contact(1, phone="123")]], full=True)
    newer = contact(1, modified=T0 + timedelta(days=1), phone=None)
    result = run([[newer]], full=True)
    row = HubSpotContact.objects.get(pk="1")
    assert result.counts.updated == 1
    assert row.phone is None and row.properties["phone"] is None


def test_value_changed_without_new_modified_time_when_full_then_skipped_but_force_replaces():
    run([[contact(1, firstname="Old")]], full=True)
    silently_changed = [[contact(1, firstname="New")]]
    assert run(silently_changed, full=True).counts.skipped == 1
    assert HubSpotContact.objects.get(pk="1").firstname == "Old"
    result = run(silently_changed, full=True, force_overwrite=True)
    assert (result.counts.overwritten, result.counts.skipped) == (1, 0)
    assert HubSpotContact.objects.get(pk="1").firstname == "New"


def test_local_edit_when_force_overwrite_then_replaced_by_hubspot_payload():
    run([[contact(1)]], full=True)
    HubSpotContact.objects.filter(pk="1").update(email="edited@local", properties={"x": "1"})
    run([[contact(1)]], full=True, force_overwrite=True)
    row = HubSpotContact.objects.get(pk="1")
    assert row.email == "person1@example.com" and "x" not in row.properties


def test_any_mode_when_dry_run_then_every_table_identical_and_counts_reported():
    run([[contact(1), contact(2)]], full=True)
    before = table_snapshot()
    pages = [[contact(1, modified=T0 + timedelta(days=2)), contact(2), contact(3)]]
    normal = run(pages, full=True, dry_run=True)
    forced = run(pages, full=True, dry_run=True, force_overwrite=True)
    assert table_snapshot() == before
    assert (normal.counts.created, normal.counts.updated, normal.counts.skipped) == (1, 1, 1)
    assert (forced.counts.created, forced.counts.overwritten) == (1, 2)
    assert normal.watermark is None and "dry run" in normal.summary


def test_full_dry_run_when_records_vanished_upstream_then_sweep_counted_not_written():
    run([[contact(1), contact(2), contact(3)]], full=True)
    before = table_snapshot()
    preview = run([[contact(1)]], full=True, dry_run=True)
    assert preview.counts.archived == 2 and table_snapshot() == before
    assert run([[contact(1)]], full=True).counts.archived == 2


def test_malformed_records_when_saved_then_recorded_as_failures_and_rest_of_batch_saved():
    broken = [{"id": "66", "properties": "oops"}, {"properties": {}},
              {"id": "67", "properties": {}, "updatedAt": "not a date"}]
    result = run([[contact(1), *broken, contact(2)]], full=True)
    assert result.status == "partial" and result.counts.failed == 3
    assert set(HubSpotContact.objects.values_list("pk", flat=True)) == {"1", "2"}
    errors = {e.object_id: e.reason for e in SyncError.objects.all()}
    assert set(errors) == {"66", "", "67"}
    assert all("person" not in reason for reason in errors.values())
    assert SyncHistory.objects.get().watermark is None


def test_unreadable_typed_value_when_saved_then_column_null_raw_value_kept_no_failure():
    result = run([[contact(1, lastmodifieddate="yesterday-ish")]], full=True)
    row = HubSpotContact.objects.get(pk="1")
    assert result.counts.failed == 0
    assert row.lastmodifieddate is None and row.properties["lastmodifieddate"] == "yesterday-ish"


def test_archived_record_when_synced_then_marked_archived_and_counted():
    run([[contact(1), contact(2)]], full=True)
    result = run([[contact(2)], [contact(1, archived=True)]], full=True)
    row = HubSpotContact.objects.get(pk="1")
    assert row.archived and row.archived_at is not None and result.counts.archived == 1


def test_local_row_missing_upstream_when_full_sync_completes_then_marked_archived():
    run([[contact(1), contact(2)]], full=True)
    result = run([[contact(2)]], full=True)
    assert HubSpotContact.objects.get(pk="1").archived
    assert not HubSpotContact.objects.get(pk="2").archived
    assert result.counts.archived == 1


def test_complete_run_moves_watermark_but_dry_partial_and_max_records_runs_do_not():
    pages = [[contact(1), contact(2), contact(3)]]
    assert run(pages, full=True, dry_run=True).watermark is None
    assert run(pages, full=True, max_records=2).watermark is None
    assert run([[contact(1), {"id": "9", "properties": 1}]], full=True).watermark is None
    assert not SyncHistory.objects.filter(watermark__isnull=False).exists()
    result = run(pages, full=True)
    assert result.watermark == T0 + timedelta(minutes=3)
    assert SyncHistory.objects.filter(watermark__isnull=False).count() == 1


def test_max_records_when_set_then_stops_after_exactly_n_records():
    result = run([[contact(n) for n in range(1, 6)], [contact(6)]], full=True, max_records=4,
                 batch_size=3)
    assert result.counts.fetched == 4 and HubSpotContact.objects.count() == 4
    assert not result.complete


def test_failure_in_fetch_when_running_then_run_recorded_failed_and_watermark_kept():
    class Boom(RuntimeError):
        pass

    def pages():
        yield [contact(1)]
        raise Boom("upstream died")

    with pytest.raises(Boom):
        CannedContactEngine(pages(), SyncOptions(full=True)).run()
    run_row = SyncHistory.objects.get()
    assert run_row.status == "failed" and "upstream died" in run_row.error_message
    assert run_row.watermark is None


def _install_failing_trigger(object_id: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER fail_insert BEFORE INSERT ON hubspot_contact "
                f"WHEN NEW.id = '{object_id}' BEGIN SELECT RAISE(ABORT, 'injected'); END")
        else:
            cursor.execute(
                "CREATE OR REPLACE FUNCTION fail_insert() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.id = '{object_id}' THEN RAISE EXCEPTION 'injected'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql")
            cursor.execute("CREATE TRIGGER fail_insert BEFORE INSERT ON hubspot_contact "
                           "FOR EACH ROW EXECUTE FUNCTION fail_insert()")


def _drop_failing_trigger() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS fail_insert" +
                       ("" if connection.vendor == "sqlite" else " ON hubspot_contact"))


def test_insert_failing_mid_batch_when_force_overwrite_then_old_row_kept_others_replaced():
    run([[contact(n, firstname="Old") for n in range(1, 5)]], full=True)
    _install_failing_trigger("3")
    try:
        result = run([[contact(n, firstname="New") for n in range(1, 5)]], full=True,
                     force_overwrite=True)
    finally:
        _drop_failing_trigger()
    names = dict(HubSpotContact.objects.values_list("pk", "firstname"))
    assert names == {"1": "New", "2": "New", "3": "Old", "4": "New"}
    assert (result.counts.overwritten, result.counts.failed) == (3, 1)
    assert SyncError.objects.get().object_id == "3"
    assert result.watermark is None


def test_batch_of_1000_when_saved_then_costs_a_handful_of_queries(django_assert_max_num_queries):
    run([[contact(n) for n in range(1, 1001)]], full=True, batch_size=1000)
    changed = [[contact(n, modified=T0 + timedelta(days=3)) for n in range(1, 1001)]]
    with django_assert_max_num_queries(20):
        result = run(changed, full=True, batch_size=1000)
    assert result.counts.updated == 1000


@pytest.mark.parametrize("hours_ago, refused", [(1, True), (13, False)])
def test_running_row_of_another_machine_when_starting_then_refused_until_12h_old(hours_ago,
                                                                                   refused):
    from django.utils import timezone

    from ingestion.base.history import SyncAlreadyRunning

    other = SyncHistory.objects.create(
        object_type="contacts", mode="full", status="running", hostname="elsewhere", pid=1,
        started_at=timezone.now() - timedelta(hours=hours_ago))
    if refused:
        with pytest.raises(SyncAlreadyRunning, match="elsewhere"):
            run([[contact(1)]], full=True)
        assert not HubSpotContact.objects.exists()
    else:
        run([[contact(1)]], full=True)
        other.refresh_from_db()
        assert other.status == "abandoned" and "abandoned" in other.error_message


def test_postgresql_when_a_run_ends_then_the_connection_commits_durably_again():
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    run([[contact(n) for n in range(1, 6)]], full=True, batch_size=2)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # SET LOCAL ended with each batch's transaction


def test_postgresql_when_a_run_writes_many_rows_then_the_table_is_analyzed(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    monkeypatch.setattr("ingestion.base.sync_engine.BaseSyncEngine.STATISTICS_AFTER_ROWS", 5)
    # Refreshed during the run too (as the HubSpot engines do for the association table).
    monkeypatch.setattr("ingestion.base.sync_engine.BaseSyncEngine.written_tables",
                        lambda self, during=False: ["hubspot_contact"])

    def analyzed() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # no cached statistics view
            cursor.execute("SELECT analyze_count FROM pg_stat_user_tables "
                           "WHERE relname = 'hubspot_contact'")
            return cursor.fetchone()[0]

    before = analyzed()
    run([[contact(n) for n in range(1, 4)]], full=True)  # 3 rows: under the threshold
    assert analyzed() == before
    run([[contact(n) for n in range(1, 10)]], full=True)
    assert analyzed() == before + 1  # 6 new rows in one batch: once
    run([[contact(n) for n in range(1, 40)]], full=True, batch_size=5)
    # 30 new rows, 5 a batch: during the run once 6 rows were written, again past 12 (16),
    # and at the end (30)
    assert analyzed() == before + 1 + 3
