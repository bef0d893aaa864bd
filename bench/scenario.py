"""One benchmark scenario in its own process, so CPU time and peak RSS are its own.

    python -m bench.scenario NAME [--limit N]

Reads DATABASE_URL / HUBSPOT_* from the environment; prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time

import orjson


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(SCENARIOS))
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    records, extra = SCENARIOS[args.name](args.limit)
    figures = {"scenario": args.name, "records": records,
               "wall_s": time.perf_counter() - started, "cpu_s": _cpu_seconds() - cpu_before,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fetch_only(limit: int | None, *, links: bool = False) -> tuple[int, dict]:
    """The floor: page through every record as the sync does, and keep nothing. With
    `links`, also read each 1,000 records' associations, as a sync with associations does."""
    from ingestion.object_types import BY_NAME
    from ingestion.sync.hubspot.associations import read_links
    from ingestion.sync.hubspot.connection import client_from_settings
    from ingestion.sync.hubspot.limits import ASSOCIATION_BATCH_MAX

    with client_from_settings() as client:
        names = client.property_names("contacts")
        count, group = 0, []
        for archived in (False, True):
            for page in client.list_pages("contacts", names, archived=archived):
                count += len(page)
                if not links:
                    continue
                group += [r["id"] for r in page if not archived]
                if len(group) >= ASSOCIATION_BATCH_MAX or archived:
                    read_links(client, "contacts", BY_NAME["contacts"].associations,
                               group)
                    group = []
        return count, {"requests": client.requests_sent}


def sync(*flags: str):
    def run(limit: int | None) -> tuple[int, dict]:
        from django.core.management import call_command

        out = io.StringIO()
        call_command("sync_hubspot_contacts", *flags, "--noinput", stdout=out)
        summary = out.getvalue().strip().splitlines()[-1]
        counts = {k: int(v) for k, v in (p.split("=") for p in summary.split()[1:8])}
        return counts["fetched"], {"summary": summary}

    return run


def source_sync(command: str, *flags: str):
    """A marketing source's sync (its summary line's `fetched`)."""
    def run(limit: int | None) -> tuple[int, dict]:
        from django.core.management import call_command

        out = io.StringIO()
        call_command(command, *flags, "--noinput", stdout=out)
        summary = out.getvalue().strip().splitlines()[-1]
        fetched = int(summary.split("fetched=", 1)[1].split()[0])
        return fetched, {"summary": summary}

    return run


def naive_baseline(limit: int | None) -> tuple[int, dict]:
    """The seed's "normal" path written naively: one update_or_create per record."""
    from ingestion.models import HubSpotContact
    from ingestion.sync.hubspot.connection import client_from_settings
    from ingestion.sync.hubspot.transform import to_row, typed_columns

    columns = typed_columns(HubSpotContact)
    from django.utils import timezone

    count = 0
    with client_from_settings() as client:
        names = client.property_names("contacts")
        for page in client.list_pages("contacts", names):
            for record in page[: (limit - count) if limit else None]:
                row, _ = to_row(record, columns)
                HubSpotContact.objects.update_or_create(
                    id=row.pop("id"), defaults={**row, "synced_at": timezone.now()})
                count += 1
            if limit and count >= limit:
                break
    return count, {}


SCENARIOS = {
    "fetch": fetch_only,
    "fetch_links": lambda limit: fetch_only(limit, links=True),
    "full": sync("--full", "--skip-associations"),
    "resync": sync("--full", "--skip-associations"),
    "force": sync("--full", "--force-overwrite", "--skip-associations"),
    "incremental": sync("--skip-associations"),
    "full_links": sync("--full"),
    "baseline": naive_baseline,
    "email_events": source_sync("sync_hubspot_email_events", "--full"),
}

if __name__ == "__main__":
    main()
