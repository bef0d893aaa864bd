"""`sync_hubspot_all --all-portals`: every portal (accounts.all_portals), each as one
`sync_hubspot_all --portal NAME` with the run's other flags.

Where each portal runs: one after another (default) or up to N at once (`--parallel N`), as
`manage.py` processes on this machine (fan_out.run_processes: signals passed on, the outcomes
read back from each child's outcome file); or as one Celery task per portal (`--on-workers`:
fan_out.run_tasks, the outcomes read back from the task's result). Never from what a child
printed.

A portal stops alone: a refused token, a missing environment variable, its daily limit or
reserve reached end that portal's run (its own process or task), and the others run on. The
command prints one table per portal (the table `sync_hubspot_all` prints, headed by the
portal's name and id), then a total (one line per portal: status, records read, requests,
429s, seconds; requests, 429s and seconds from the portal's own sync_history rows), and
exits with the worst of the portals' statuses (outcomes.worst).
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.models import SyncHistory
from ingestion.sync.hubspot.accounts import Portal, in_portal

from . import fan_out
from .multi_sync import format_table
from .outcomes import Report, Status, status_of, status_text, worst
from .sync_flags import command_flags

COMMAND = "sync_hubspot_all"
# The flags that say how the portals run, not how each runs: never passed on.
NOT_PASSED = ("all_portals", "parallel", "on_workers", "queue", "portal", "outcome_file",
              "noinput")


@dataclass
class PortalRun:
    """What one portal's run came to: its report (exit code, outcomes, error), and what its
    recorded runs spent."""

    portal: Portal
    report: Report
    records: int = 0
    requests: int = 0
    rate_limited: int = 0
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        return status_of(self.report.exit_code)

    def heading(self) -> str:
        known = self.portal.portal_id if self.portal.portal_id is not None else "not known"
        return f"portal {self.portal.name} (id {known})"


def passed_flags(opts: dict) -> dict:
    """The run's flags every portal's run is given (all that sync_hubspot_all defines,
    but those of NOT_PASSED), as given."""
    return {name: opts[name] for name in command_flags(COMMAND)
            if name not in NOT_PASSED and opts.get(name) not in (None, False, "")}


def run_portals(portals: list[Portal], opts: dict, say) -> list[PortalRun]:
    """Every portal's run (module doc), in the order of `portals`."""
    flags = passed_flags(opts)
    if opts.get("on_workers"):
        tasks = {p.name: {"command": COMMAND, "portal": p.name, **flags} for p in portals}
        reports = fan_out.run_tasks("portals", tasks, opts["queue"], say)
    else:
        args = fan_out.cli_flags(flags)
        jobs = [(p.name, [COMMAND, "--portal", p.name, *args]) for p in portals]
        reports = fan_out.run_processes(jobs, opts.get("parallel") or 1)
    by_name = {report.command: report for report in reports}
    return [spent(portal, by_name[portal.name]) for portal in portals]


def spent(portal: Portal, report: Report) -> PortalRun:
    """The portal's run with what its recorded runs (its sync_history rows, in its own
    scope) counted: records read, requests and 429s, seconds from the first start to the
    last end."""
    run = PortalRun(portal, report)
    ids = [o.history_id for o in report.outcomes if o.history_id is not None]
    if not ids:
        run.records = sum(o.counts.fetched for o in report.outcomes)
        return run
    with in_portal(portal.name):
        rows = list(SyncHistory.objects.filter(pk__in=ids))
    run.records = sum(row.fetched for row in rows)
    run.requests = sum(int(row.details.get("requests", 0)) for row in rows)
    run.rate_limited = sum(int(row.details.get("rate_limited", 0)) for row in rows)
    ends = [row.finished_at for row in rows if row.finished_at]
    if ends:
        run.seconds = (max(ends) - min(row.started_at for row in rows)).total_seconds()
    return run


def portal_table(run: PortalRun) -> str:
    """The portal's heading, its table (sync_hubspot_all's), and why it failed if it did."""
    lines = [run.heading(), format_table(run.report.rows())]
    if run.report.exit_code != 0 and run.report.error:
        lines.append(f"{run.portal.name}: exit {run.report.exit_code}: {run.report.error}")
    return "\n".join(lines)


TOTAL_COLUMNS = ("records", "requests", "429s", "seconds")


def total_table(runs: list[PortalRun], seconds: float) -> str:
    """One line per portal and a total line (its seconds: the whole command's)."""
    width = max([len("portal"), len("total"), *(len(r.portal.name) for r in runs)])
    status_width = max([len("status"), *(len(status_text(r.status)) for r in runs)])

    def line(name: str, status: str, values: tuple) -> str:
        cells = [f"{value:>9}" for value in values]
        return "  ".join([f"{name:<{width}}", f"{status:<{status_width}}", *cells])

    lines = [line("portal", "status", TOTAL_COLUMNS)]
    lines += [line(r.portal.name, status_text(r.status),
                   (r.records, r.requests, r.rate_limited, f"{r.seconds:.1f}")) for r in runs]
    overall = status_text(worst(r.status for r in runs))
    lines.append(line("total", overall, (sum(r.records for r in runs),
                                         sum(r.requests for r in runs),
                                         sum(r.rate_limited for r in runs), f"{seconds:.1f}")))
    return "\n".join(lines)

