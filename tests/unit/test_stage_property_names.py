"""The names and view types of HubSpot's stage calculated properties
(docs/hubspot-api.md#stage-calculated-properties)."""

from __future__ import annotations

from ingestion.sync.hubspot.stage_properties import names_of_stage, sql_type


def test_stage_when_named_then_four_properties_one_per_prefix():
    assert names_of_stage("appointmentscheduled") == [
        "hs_v2_date_entered_appointmentscheduled", "hs_v2_date_exited_appointmentscheduled",
        "hs_v2_latest_time_in_appointmentscheduled",
        "hs_v2_cumulative_time_in_appointmentscheduled"]
    assert names_of_stage("8134711")[0] == "hs_v2_date_entered_8134711"


def test_stage_id_when_outside_property_name_characters_then_underscores():
    assert names_of_stage("Attempting-stage-id")[0] == "hs_v2_date_entered_attempting_stage_id"


def test_view_type_when_named_then_dates_timestamp_times_numeric_others_none():
    assert [sql_type(n) for n in names_of_stage("lead")] == [
        "timestamp", "timestamp", "numeric", "numeric"]
    assert sql_type("hs_v2_date_entered_current_stage") == "timestamp"  # listed anyway
    assert sql_type("dealstage") is None
