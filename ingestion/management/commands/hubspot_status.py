"""hubspot_status: the status page (/status/) as a table for terminals.

One row per object type, built by ingestion/ops/status.py like the page's: the newest run's
status and error first, the type's state (failed, stale, late, fresh, skipped), the last
successful sync and its counts, failures, quarantine, the next scheduled run and the latest
verify result; then, once HubSpot's webhooks journal is set up, its offset, lag, last read,
last gap closed and newest run. Every portal (ops/portals.py), each under a heading, unless
`--portal NAME` (or HUBSPOT_PORTAL) names one: here the option picks what is shown, it does
not switch the process into the portal. The implicit portal alone: no heading. Colour only
on a terminal (Django's styles switch themselves off otherwise, and with --no-color). Exit 0
(also when the reader stops early: `hubspot_status | head`); 1 when the database cannot be
used.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from ingestion.management.outcomes import ConfigurationError
from ingestion.management.portal_option import PortalCommand
from ingestion.ops.portals import PortalError, several, shown_portals, title
from ingestion.ops.status import (
    AMBER,
    COLUMNS,
    FAILURES,
    GREEN,
    NUMERIC,
    RED,
    TypeStatus,
    hubspot_counts,
    journal_status,
    type_statuses,
)
from ingestion.sync.hubspot.accounts import in_portal

from ..base_hubspot_sync import check_database


class Command(PortalCommand, BaseCommand):
    help = ("Show how each object type is doing: its newest run and error, its state, last "
            "successful sync, counts, failures, quarantine, next scheduled run, latest verify.")

    def execute(self, *args, **options):
        # --portal filters what is shown: every portal is read in its own scope below.
        return BaseCommand.execute(self, *args, **options)

    def handle(self, *args, **options) -> None:
        check_database()  # a CommandError in one line when the database cannot be used
        try:
            portals = shown_portals(options.get("portal") or settings.HUBSPOT_PORTAL or None)
        except PortalError as error:
            raise ConfigurationError(str(error)) from None
        try:
            for number, portal in enumerate(portals):
                if several(portals):
                    self.stdout.write(f"{chr(10) if number else ''}portal {title(portal)}")
                with in_portal(portal.name):
                    self._print_table(hubspot_counts(portal))
        except BrokenPipeError:
            _silence_stdout()  # the reader (head, less) has what it wanted

    def _print_table(self, counts: dict[str, int] | None) -> None:
        statuses = type_statuses(hubspot=counts)
        rows = [status.cells() for status in statuses]
        widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in COLUMNS}
        self.stdout.write(self._line({c: c for c in COLUMNS}, widths, {}))
        for status, row in zip(statuses, rows, strict=True):
            self.stdout.write(self._line(row, widths, self._colours(status)))
        self._print_journal()
        self.stdout.flush()  # a closed pipe shows here, inside the try

    def _print_journal(self) -> None:
        journal = journal_status()
        if journal is None:  # not set up: the table alone, as before
            return
        cells = journal.cells()
        width = max(len(name) for name in cells)
        self.stdout.write("\nwebhooks journal")
        for name, text in cells.items():
            self.stdout.write(f"  {name.ljust(width)}  {text}")

    def _line(self, row: dict[str, str], widths: dict[str, int], colours: dict) -> str:
        cells = {c: row[c].rjust(widths[c]) if c in NUMERIC else row[c].ljust(widths[c])
                 for c in COLUMNS}
        for name, colour in colours.items():  # padded first: escape codes never shift columns
            if colour is not None:
                cells[name] = colour(cells[name])
        return "  ".join(cells.values()).rstrip()

    def _colours(self, status: TypeStatus) -> dict:
        """The state in the type's colour; the last run red when it failed, whatever the
        state (a verify run by hand is not judged, but its failure shows)."""
        styles = {GREEN: self.style.SUCCESS, AMBER: self.style.WARNING, RED: self.style.ERROR}
        state = styles.get(status.colour)  # grey (skipped, no runs): plain
        run = status.shown_run
        failed = run is not None and run.status in FAILURES
        return {"state": state, "last run": self.style.ERROR if failed else state}


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit cannot raise
    BrokenPipeError again (the recipe of Python's signal module documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
