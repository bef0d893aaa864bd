"""hubspot_status: the status page (/status/) as a table for terminals.

One row per object type, built by ingestion/ops/status.py like the page's: freshness of the
last successful sync, its counts, failures, quarantine, the next scheduled run and the latest
verify result. Colour only on a terminal (Django's styles switch themselves off otherwise,
and with --no-color). Exit 0; 1 when the database cannot be used.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ingestion.ops.status import COLUMNS, GREEN, NUMERIC, RED, type_statuses

from ..base_hubspot_sync import check_database


class Command(BaseCommand):
    help = ("Show how fresh the mirror is, per object type: last successful sync, counts, "
            "failures, quarantine, next scheduled run, latest verify result.")

    def handle(self, *args, **options) -> None:
        check_database()  # a CommandError in one line when the database cannot be used
        statuses = type_statuses()
        rows = [status.cells() for status in statuses]
        widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in COLUMNS}
        self.stdout.write(self._line({c: c for c in COLUMNS}, widths))
        for status, row in zip(statuses, rows, strict=True):
            self.stdout.write(self._line(row, widths, colour=self._style(status.freshness)))

    def _line(self, row: dict[str, str], widths: dict[str, int], colour=None) -> str:
        cells = [row[c].rjust(widths[c]) if c in NUMERIC else row[c].ljust(widths[c])
                 for c in COLUMNS]
        if colour is not None:  # padded first, so escape codes never shift the columns
            cells[COLUMNS.index("fresh")] = colour(cells[COLUMNS.index("fresh")])
        return "  ".join(cells).rstrip()

    def _style(self, freshness: str):
        return {GREEN: self.style.SUCCESS, RED: self.style.ERROR}.get(freshness,
                                                                       self.style.WARNING)
