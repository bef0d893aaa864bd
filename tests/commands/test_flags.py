"""A flag that cannot apply to a command's types is a usage error: exit 2, one message naming
the flag the user typed, before anything is recorded or any request is made, and `--help`
does not offer it. Checked for every sync command in the registry (`manage.py help`)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from ingestion.models import SyncHistory

pytestmark = pytest.mark.django_db

# What each command mirrors, written down here (not read from the code under test).
DEFINITIONS = {"sync_hubspot_owners", "sync_hubspot_properties", "sync_hubspot_pipelines"}
LISTS_AND_FORMS = {"sync_hubspot_lists", "sync_hubspot_forms"}
RECORDS_WITHOUT_LINKS = {"sync_hubspot_products", "sync_hubspot_goal_targets",
                         "sync_hubspot_users", "sync_hubspot_projects"}
LINK_REFRESH = {"sync_hubspot_associations"}
EVERY_KIND = {"sync_hubspot_all", "sync_hubspot_custom_objects"}

# Each flag as typed, with a value where it takes one.
TYPED = {"--full": ["--full"], "--since": ["--since", "2024-01-01"],
         "--force-overwrite": ["--force-overwrite"], "--batch-size": ["--batch-size", "500"],
         "--max-records": ["--max-records", "5"], "--skip-associations": ["--skip-associations"],
         "--list-only": ["--list-only"], "--with-history": ["--with-history", "lifecyclestage"],
         "--links-only": ["--links-only"], "--deletions": ["--deletions"]}
RECORD_ONLY = ["--list-only", "--with-history", "--links-only", "--deletions"]


def refused_flags(command: str) -> list[str]:
    if command in DEFINITIONS:
        return ["--since", "--skip-associations", *RECORD_ONLY]
    if command in LISTS_AND_FORMS:
        return RECORD_ONLY
    if command in RECORDS_WITHOUT_LINKS:
        return ["--skip-associations", "--links-only"]
    if command in LINK_REFRESH:
        return list(TYPED)  # it reads links only: --dry-run is all it takes
    return []


SYNC_COMMANDS = sorted(name for name in get_commands() if name.startswith("sync_hubspot_"))
CASES = [(command, flag) for command in SYNC_COMMANDS for flag in refused_flags(command)]


def help_text(command: str) -> str:
    return load_command_class(get_commands()[command], command).create_parser(
        "manage.py", command).format_help()


def test_registry_when_listed_then_every_sync_command_is_classified_here():
    known = DEFINITIONS | LISTS_AND_FORMS | RECORDS_WITHOUT_LINKS | LINK_REFRESH | EVERY_KIND
    records = {name for name in SYNC_COMMANDS if name not in known}
    assert "sync_hubspot_contacts" in records and len(records) >= 25  # the rest: record types
    assert known - set(SYNC_COMMANDS) == set()


@pytest.mark.parametrize(("command", "flag"), CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_flag_that_cannot_apply_when_typed_then_exit_2_naming_it_and_nothing_done(
        command, flag, hubspot):
    requests_before = hubspot.control.stats()["requests"]
    with pytest.raises(CommandError) as refused:
        call_command(command, *TYPED[flag], stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 2
    message = str(refused.value)
    assert message.startswith(f"{flag} does not apply to {command}: "), message
    assert "\n" not in message
    assert not SyncHistory.objects.exists()
    assert hubspot.control.stats()["requests"] == requests_before  # not one request
    assert f"{flag} " not in help_text(command)  # not offered either


@pytest.mark.parametrize("command", sorted(EVERY_KIND))
def test_command_running_every_kind_when_asked_for_help_then_offers_every_flag(command):
    shown = help_text(command)
    assert all(f"{flag} " in shown for flag in TYPED)


@pytest.mark.parametrize("kwargs", [{"deletions": True}, {"since": "2024-01-01"}])
def test_flag_that_cannot_apply_when_given_as_keyword_then_refused_too(kwargs, hubspot):
    """The Celery task calls commands with keywords, not an argv."""
    with pytest.raises(CommandError) as refused:
        call_command("sync_hubspot_owners", **kwargs, stdout=io.StringIO())
    assert refused.value.returncode == 2 and "sync_hubspot_owners" in str(refused.value)
    assert not SyncHistory.objects.exists()


@pytest.mark.parametrize(("command", "entry"), [("sync_hubspot_contacts", "nosuchprop"),
                                                ("sync_hubspot_deals", "deals:nosuchprop")])
def test_history_of_property_the_type_lacks_when_synced_then_usage_error_nothing_recorded(
        command, entry, hubspot):
    object_type = command.removeprefix("sync_hubspot_")
    with pytest.raises(CommandError) as refused:
        call_command(command, "--with-history", entry, stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert "'nosuchprop'" in str(refused.value) and object_type in str(refused.value)
    assert "HubSpot sync failed" not in str(refused.value)
    assert not SyncHistory.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_history_of_defined_property_when_synced_then_runs(hubspot):
    out = io.StringIO()
    call_command("sync_hubspot_contacts", "--with-history", "lifecyclestage", stdout=out)
    assert out.getvalue().startswith("contacts: fetched=40 ")
    assert SyncHistory.objects.get().status == "success"


@pytest.mark.parametrize(("job", "flag"), [("links", "links_only"), ("deletions", "deletions")])
def test_job_fanned_out_when_staged_then_every_command_takes_the_job_flag(job, flag):
    """A fanned-out command is given only the flags it takes: one without the job's flag
    would run a plain sync instead of the job."""
    from ingestion.management.fan_out import flags_for, stages

    opts = {"full": False, "since": None, "force_overwrite": False, "dry_run": False,
            "batch_size": 1000, "max_records": None, "skip_associations": False,
            "links_only": job == "links", "deletions": job == "deletions", "list_only": False}
    ((name, stage),) = stages(job)
    assert name == "records" and "sync_hubspot_contacts" in stage
    assert ("sync_hubspot_products" in stage) == (job == "deletions")  # it has no links
    for command in stage:
        assert flags_for(command, opts)[flag] is True, command


@pytest.mark.django_db(transaction=True)
def test_definitions_in_a_multi_type_run_when_since_given_then_read_whole_as_always(hubspot):
    from hubspot_emulator.schemas import PETS_TYPE_ID

    call_command("sync_hubspot_custom_objects", "--since", "2024-01-01", stdout=io.StringIO())
    modes = dict(SyncHistory.objects.values_list("object_type", "mode"))
    assert modes == {"schemas": "full", PETS_TYPE_ID: "since"}
