"""Benchmark: the email events sync (issue 24): records/s against what the rate budget
allows for pages of 1,000 events, CPU s per 1,000 events (against contacts'), and peak RSS
at 1,000,000 events against 100,000 (target: at most 1.2x).

    .venv/bin/python -m bench.email_events [--events 100000 1000000] [--db postgres|sqlite]

The emulator (its own process, no rate limit) generates the events lazily; each size runs in
a fresh database and its own process (bench.scenario `email_events`: a full sync into an
empty table). Figures are printed and written to bench/results/<date>-email-events.json.
"""

from __future__ import annotations

import argparse
import datetime
import os

import orjson

from .__main__ import POSTGRES_ADMIN_URL, ROOT, TOKEN, fresh_database, machine, manage, scenario

PAGE = 1000  # events per request (HubSpot's maximum, docs/hubspot-api.md#email-events)
# The most a client can read for long at HubSpot's Pro limit (190 requests / 10 s) and at
# Starter's (100 / 10 s), one page per request; the first window's burst is free.
BOUNDS = {"pro": 190 / 10 * PAGE, "starter": 100 / 10 * PAGE}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--contacts", type=int, default=10_000, help="the recipients' pool")
    args = parser.parse_args()
    from hubspot_emulator.testing import spawn_emulator

    results = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "machine": machine(), "db": args.db, "bounds_records_per_s": BOUNDS, "runs": {}}
    with spawn_emulator(token=TOKEN, contacts=args.contacts) as emulator:
        for events in args.events:
            emulator.control.reset(contacts=args.contacts, seed=1, email_events=events)
            results["runs"][events] = run_size(args.db, emulator)
            print_row(events, results["runs"][events])
    sizes = sorted(results["runs"])
    if len(sizes) > 1:
        small, large = results["runs"][sizes[0]], results["runs"][sizes[-1]]
        results["rss_ratio"] = large["peak_rss_mb"] / small["peak_rss_mb"]
        print(f"peak RSS at {sizes[-1]:,} / at {sizes[0]:,}: {results['rss_ratio']:.2f}x")
    out = ROOT / "bench" / "results" / f"{datetime.date.today()}-email-events.json"
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    print(f"written: {out.relative_to(ROOT)}")


def own_database(db: str) -> str:
    """A fresh database of this benchmark's own (the contacts benchmark's is another)."""
    if db == "sqlite":
        return fresh_database(db)
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS hubspot_bench_email_events")
        conn.execute("CREATE DATABASE hubspot_bench_email_events")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/hubspot_bench_email_events"


def run_size(db: str, emulator) -> dict:
    env = {**os.environ, "DATABASE_URL": own_database(db),
           "HUBSPOT_API_BASE_URL": emulator.url, "HUBSPOT_ACCESS_TOKEN": TOKEN}
    manage(env, "migrate", "--verbosity", "0")
    before = emulator.control.stats()["requests"]
    figures = scenario(env, "email_events")
    figures["requests"] = emulator.control.stats()["requests"] - before
    figures.update({f"vs_{name}_bound": figures["records_per_s"] / bound
                    for name, bound in BOUNDS.items()})
    return figures


def print_row(events: int, f: dict) -> None:
    print(f"{events:>9,} events: {f['records']:,} read in {f['wall_s']:.1f} s = "
          f"{f['records_per_s']:,.0f}/s ({f['vs_pro_bound']:.2f}x the Pro bound), "
          f"{f['cpu_s_per_1000']:.3f} CPU s / 1k, peak RSS {f['peak_rss_mb']:.0f} MB, "
          f"{f['requests']} requests")


if __name__ == "__main__":
    main()
