"""What the docs promise about the commands holds: the summary line's format (docs/modes.md),
the cron schedule (the one `setup_hubspot_schedule` creates) and the scopes each command needs,
as the emulator's scope map checks them (docs/operations.md)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from ingestion.ops.schedules import DEFAULT_SCHEDULE, SYNC_TASK

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODES = (DOCS / "modes.md").read_text()
OPERATIONS = (DOCS / "operations.md").read_text()
SUMMARY = re.compile(r"^(\w+): ((?:\w+=\d+ ?)+)$")


def summary_counts(line: str) -> tuple[str, dict[str, int]]:
    name, pairs = SUMMARY.match(line.strip()).groups()
    return name, {key: int(value) for key, value in (p.split("=") for p in pairs.split())}


def documented_scopes() -> dict[str, tuple[list[str], list[str]]]:
    """The scopes table: command -> (scopes it needs, scopes for its links)."""
    section = OPERATIONS.split("### Scopes", 1)[1].split("\n\n|", 1)[1]
    rows = {}
    for line in ("|" + section).split("\n\n", 1)[0].splitlines()[2:]:
        command, needs, links = (cell.strip() for cell in line.strip("|").split("|"))
        rows[command.strip("`")] = (re.findall(r"`([\w.]+)`", needs),
                                    re.findall(r"`([\w.]+)`", links))
    return rows


SCOPES = documented_scopes()
# The rows that list their scopes (the others say "the rows above of the types it runs").
LISTED = sorted(command for command, (needs, _) in SCOPES.items() if needs)


@pytest.mark.django_db(transaction=True)
def test_documented_summary_example_when_compared_with_a_real_run_then_same_format(hubspot):
    example = re.search(r"^`(contacts: fetched=[^`]+)`$", MODES, re.MULTILINE).group(1)
    out = io.StringIO()
    call_command("sync_hubspot_contacts", stdout=out)
    real = out.getvalue().splitlines()[-1]
    for name, counts in (summary_counts(example), summary_counts(real)):
        assert name == "contacts"
        assert counts["fetched"] == sum(counts[k] for k in ("created", "updated", "overwritten",
                                                            "skipped", "failed"))
    assert list(summary_counts(example)[1]) == list(summary_counts(real)[1])


def cron_line(entry) -> str:
    if entry.every_minutes:
        when = "* * * * *" if entry.every_minutes == 1 else f"*/{entry.every_minutes} * * * *"
    else:
        when = f"{entry.crontab['minute']} {entry.crontab.get('hour', '*')} * * *"
    kwargs = dict(entry.kwargs)
    command = kwargs.pop("command") if entry.task == SYNC_TASK else "apply_hubspot_events"
    flags = "".join(f" --{name.replace('_', '-')}" for name, on in kwargs.items() if on)
    return f"{when} manage.py {command}{flags}"


def test_documented_crontab_when_compared_with_the_beat_schedule_then_the_same_jobs():
    block = OPERATIONS.split("```cron\n", 1)[1].split("```", 1)[0]
    documented = {re.sub(r"\s+", " ", re.sub(r"cd /srv/mirror && \.venv/bin/python ", "",
                                             line.split("#")[0])).strip()
                  for line in block.splitlines()}
    assert documented == {cron_line(entry) for entry in DEFAULT_SCHEDULE}


def test_documented_scopes_when_listed_then_every_runnable_command_has_a_row():
    runnable = {name for name in get_commands()
                if name.startswith("sync_hubspot_") or name in ("verify_hubspot",
                                                                "apply_hubspot_events")}
    assert runnable - set(SCOPES) == set()
    assert set(SCOPES) - set(get_commands()) == set()


def run_with_scopes(hubspot, command: str, scopes: list[str]) -> tuple[int, int]:
    """(exit status, 403 answers) of the command run with a token holding exactly `scopes`."""
    hubspot.control.set_token_scopes(scopes)
    refused_before = hubspot.control.stats()["by_status"].get("403", 0)
    status = 0
    try:
        call_command(command, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as error:
        status = error.returncode
    return status, hubspot.control.stats()["by_status"].get("403", 0) - refused_before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", LISTED)
def test_documented_scopes_when_granted_exactly_then_nothing_refused_and_each_needed(
        command, hubspot):
    needs, links = SCOPES[command]
    assert run_with_scopes(hubspot, command, needs + links) == (0, 0)
    for scope in needs:
        _status, refused = run_with_scopes(
            hubspot, command, [s for s in needs + links if s != scope])
        assert refused > 0, f"{command} ran without {scope}"
