"""The whole portal under HubSpot's Pro limits: `sync_hubspot_all --full` against the least
time and the fewest requests the budgets allow for that mix of records.

    .venv/bin/python -m bench.portal [--contacts 100000] [--db postgres|sqlite] [--list-only]
                                     [--parallel N] [--search-in-window] [--redis URL]

Seeds the emulator (its own process) with its realistic mix for N contacts (companies N/5,
deals N/4, tickets N/10, line items N/4, each engagement type N/2, the other standard types
and a custom type; associations between them) on the `pro` profile: 190 requests per 10 s
for everything but search, search 5 per second on its own (HubSpot's specs). Runs
`sync_hubspot_all --full` into a fresh database, then reads each type's run from
`sync_history`: records, requests by endpoint class, 429s, wall time.

The least time, stated with the figures: a run needs, besides reading live records, a fixed
number of general requests G (archived listings: 100 a page, at least one request a type;
associations: one per 1,000 live records per target type; definitions, lists and forms: as
counted). Live records can be read by the list endpoint (100 a request, general budget:
19/s after the first window's free 190) or by search (200 a request, 5/s), so in list-page
equivalents the budgets give 19 + 2 x 5 = 29 a second: T_min = (G + live/100 - 190) / 29. The fewest
requests at that time: G, plus 5 x T_min search pages, plus list pages for the rest.
Results: bench/results/portal-<date>-<N>-<variant>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import time

import orjson

from bench.__main__ import ROOT, TOKEN, fresh_database, machine, manage

GENERAL_PER_S, SEARCH_PER_S, FREE_BURST = 19, 5, 190


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--list-only", action="store_true",
                        help="full reads by the list endpoint alone (the A of an A/B)")
    parser.add_argument("--parallel", type=int, default=1,
                        help="sync_hubspot_all --parallel N (types in N processes at once)")
    parser.add_argument("--search-in-window", action="store_true",
                        help="the emulator counts searches in the ten-secondly window too")
    parser.add_argument("--redis", default="", metavar="URL",
                        help="HUBSPOT_RATE_LIMIT_REDIS_URL: the processes of --parallel share "
                             "one budget (without it they split search's)")
    args = parser.parse_args()
    from hubspot_emulator.testing import spawn_emulator

    with spawn_emulator(token=TOKEN, contacts=args.contacts) as emulator:
        emulator.control.reset(contacts=args.contacts, seed=1)
        emulator.control.set_rate_limit("pro", search_in_window=args.search_in_window)
        env = {**os.environ, "DATABASE_URL": fresh_database(args.db),
               "HUBSPOT_API_BASE_URL": emulator.url, "HUBSPOT_ACCESS_TOKEN": TOKEN,
               "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "5", "HUBSPOT_MIRROR_ENV_FILE": "",
               # Keys are named by the base URL (a new port each run): nothing to clear.
               "HUBSPOT_RATE_LIMIT_REDIS_URL": args.redis, "REDIS_URL": ""}
        manage(env, "migrate", "--verbosity", "0")
        flags = ["--full", *(["--list-only"] if args.list_only else []),
                 "--parallel", str(args.parallel)]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "manage.py", "sync_hubspot_all", *flags],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        stats = emulator.control.stats()
    if done.returncode != 0:
        raise SystemExit(f"sync_hubspot_all failed ({done.returncode}):\n{done.stderr[-3000:]}")
    runs = runs_by_type(env)
    figures = totals(runs, wall, stats)
    figures.update(least(runs, figures["other_requests"]))
    figures["wall_vs_least"] = wall / figures["least_wall_s"]
    figures["requests_vs_fewest"] = figures["requests"] / figures["fewest_requests"]
    print_table(args, runs, figures)
    variant = (("-list-only" if args.list_only else "") + f"-parallel{args.parallel}"
               + ("-search-in-window" if args.search_in_window else "")
               + ("-redis" if args.redis else ""))
    name = f"portal-{datetime.date.today()}-{args.contacts}{variant}.json"
    out = ROOT / "bench" / "results" / name
    out.write_bytes(orjson.dumps({"machine": machine(), "contacts": args.contacts,
                                  "db": args.db, "list_only": args.list_only,
                                  "parallel": args.parallel,
                                  "search_in_window": args.search_in_window,
                                  "shared_budget": bool(args.redis),
                                  "totals": figures, "types": runs},
                                 option=orjson.OPT_INDENT_2))
    print(f"\nwritten: {out.relative_to(ROOT)}")


READ_RUNS = """
import json
from django.db.models import Count, Q
from ingestion.models import SyncHistory
from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES
from ingestion.sync.hubspot.engines.custom_objects import HubSpotCustomObjectSyncEngine
targets = {e.object_type: len(e.association_types) for e in RECORD_ENGINES}
runs = []
for run in SyncHistory.objects.order_by("pk"):
    engine = next((e for e in RECORD_ENGINES if e.object_type == run.object_type), None)
    model = engine.model if engine else None
    if model is None and run.object_type.startswith("2-"):
        model = HubSpotCustomObjectSyncEngine.model
    live = archived = None
    if model is not None:
        rows = model.objects.all()
        if run.object_type.startswith("2-"):
            rows = rows.filter(object_type_id=run.object_type)
        counted = rows.aggregate(live=Count("pk", filter=Q(archived=False)),
                                 archived=Count("pk", filter=Q(archived=True)))
        live, archived = counted["live"], counted["archived"]
    details = run.details or {}
    runs.append({"type": run.object_type, "status": run.status, "fetched": run.fetched,
                 "live": live, "archived": archived,
                 "targets": targets.get(run.object_type, 1 if live is not None else 0),
                 "wall_s": (run.finished_at - run.started_at).total_seconds(),
                 "requests": details.get("requests", 0),
                 "rate_limited": details.get("rate_limited", 0),
                 "by_class": details.get("requests_by_class", {})})
print(json.dumps(runs))
"""


def runs_by_type(env: dict) -> list[dict]:
    done = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", READ_RUNS],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def totals(runs: list[dict], wall: float, stats: dict) -> dict:
    by_class: dict[str, int] = {}
    for run in runs:
        for kind, n in run["by_class"].items():
            by_class[kind] = by_class.get(kind, 0) + n
    records = sum(r["live"] + r["archived"] for r in runs if r["live"] is not None)
    return {"records": records, "wall_s": wall, "records_per_s": records / wall,
            "requests": stats["requests"], "http_429": stats["by_status"].get("429", 0),
            "requests_by_class": by_class,
            # definitions, lists with memberships, forms with submissions: counted as made
            "other_requests": sum(r["requests"] for r in runs if r["live"] is None)}


def least(runs: list[dict], others: int) -> dict:
    """The least wall time and the fewest requests for this mix (module doc)."""
    records = [r for r in runs if r["live"] is not None]
    live = sum(r["live"] for r in records)
    # A type with no archived record still takes one request to learn that.
    fixed = others + sum(max(1, math.ceil(r["archived"] / 100))
                         + math.ceil(r["live"] / 1000) * r["targets"] for r in records)
    seconds = max(0.0, (fixed + live / 100 - FREE_BURST) / (GENERAL_PER_S + 2 * SEARCH_PER_S))
    search_pages = min(SEARCH_PER_S * seconds, live / 200)
    list_pages = max(0.0, (live - 200 * search_pages) / 100)
    return {"least_wall_s": seconds, "fewest_requests": round(fixed + search_pages + list_pages),
            "fixed_general_requests": fixed, "live_records": live,
            "list_only_least_wall_s": max(0.0, (fixed + live / 100 - FREE_BURST)
                                          / GENERAL_PER_S)}


def print_table(args, runs: list[dict], figures: dict) -> None:
    print(f"\nsync_hubspot_all --full{' --list-only' if args.list_only else ''} "
          f"--parallel {args.parallel}{' (search in window)' if args.search_in_window else ''}: "
          f"{args.contacts:,} contacts' portal on {args.db}, pro profile")
    print(f"{'type':<28} {'records':>8} {'requests':>9} {'search':>7} {'429':>5} {'wall s':>8}")
    for run in runs:
        records = run["live"] + run["archived"] if run["live"] is not None else run["fetched"]
        print(f"{run['type'][:28]:<28} {records:>8} {run['requests']:>9} "
              f"{run['by_class'].get('search', 0):>7} {run['rate_limited']:>5} "
              f"{run['wall_s']:>8.1f}")
    f = figures
    print(f"\ntotal: {f['records']:,} records in {f['wall_s']:.1f} s "
          f"({f['records_per_s']:.0f}/s), {f['requests']:,} requests, {f['http_429']} x 429")
    print(f"least time the budgets allow: {f['least_wall_s']:.1f} s (list alone: "
          f"{f['list_only_least_wall_s']:.1f} s) -> wall / least = {f['wall_vs_least']:.3f}")
    print(f"fewest requests: {f['fewest_requests']:,} -> requests / fewest = "
          f"{f['requests_vs_fewest']:.3f}")


if __name__ == "__main__":
    main()
