"""Benchmarks: throughput, CPU, memory and ratios of the contacts sync.

    python3 dev.py bench [--contacts 100000] [--db both|sqlite|postgres] [--scenarios ...]

Seeds a local emulator (its own process, no rate limit), then per database runs each
scenario in a fresh process and prints a table; the figures are also written to
bench/results/<date>.json. Ratios are to the fetch-only floor measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "pat-na1-bench"
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Records only (--skip-associations) unless named _links; the floors are fetch / fetch_links.
ALL = ["fetch", "fetch_links", "full", "resync", "force", "incremental", "full_links",
       "baseline", "pro"]


def main() -> None:
    args = parse_args()
    from hubspot_emulator.testing import spawn_emulator

    results = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "machine": machine(), "contacts": args.contacts, "databases": {}}
    with spawn_emulator(token=TOKEN, contacts=args.contacts) as emulator:
        for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
            emulator.control.reset(contacts=args.contacts, seed=1)
            results["databases"][db] = run_database(db, emulator, args)
            print_table(db, results["databases"][db])
    out = ROOT / "bench" / "results" / f"{datetime.date.today()}-{args.contacts}.json"
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"\nwritten: {out.relative_to(ROOT)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--scenarios", nargs="+", choices=ALL, default=ALL)
    parser.add_argument("--baseline-records", type=int, default=20_000,
                        help="records for the per-record baseline (it is slow)")
    parser.add_argument("--pro-contacts", type=int, default=50_000,
                        help="portal size for the rate-limited (pro profile) run")
    return parser.parse_args()


def run_database(db: str, emulator, args) -> dict:
    # The emulator runs without rate limits here, so the client does not pace search either
    # (0 = unpaced); the `pro` scenario measures pacing against HubSpot's real limits.
    env = {**os.environ, "DATABASE_URL": fresh_database(db), "HUBSPOT_API_BASE_URL": emulator.url,
           "HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "0"}
    manage(env, "migrate", "--verbosity", "0")
    figures: dict[str, dict] = {}
    for name in args.scenarios:
        if name == "incremental":
            change_one_percent(emulator, args.contacts)
        if name in ("full", "full_links", "baseline"):
            empty_tables(env)
        if name == "pro":
            figures[name] = run_pro(env, emulator, args)
            continue
        limit = ["--limit", str(args.baseline_records)] if name == "baseline" else []
        figures[name] = scenario(env, name, *limit)
    add_ratios(figures)
    return figures


def scenario(env: dict, name: str, *extra: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.scenario", name, *extra], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"scenario {name} failed:\n{done.stderr[-3000:]}")
    figures = orjson.loads(done.stdout.strip().splitlines()[-1])
    figures["records_per_s"] = figures["records"] / figures["wall_s"]
    figures["cpu_s_per_1000"] = 1000 * figures["cpu_s"] / max(figures["records"], 1)
    return figures


def run_pro(env: dict, emulator, args) -> dict:
    """A full sync under HubSpot's pro limits (190 requests / 10 s, search 5 / s on its own
    budget), into an empty table: two-ended unless HUBSPOT_TWO_ENDED_READS=false."""
    emulator.control.reset(contacts=args.pro_contacts, seed=1, rate_limit="pro")
    empty_tables(env)
    figures = scenario({**env, "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "5"}, "full")  # records
    stats = emulator.control.stats()
    emulator.control.reset(contacts=args.contacts, seed=1)
    requests = stats["requests"]
    searches = sum(n for path, n in stats["by_path"].items() if path.endswith("/search"))
    # No client that only lists reads more than 190 / 10 s x 100 = 1,900 records/s for
    # long (the first window's burst is free, so a short run can beat it a little).
    figures.update(requests=requests, search_requests=searches,
                   http_429=stats["by_status"].get("429", 0),
                   http_429_share=stats["by_status"].get("429", 0) / max(requests, 1),
                   list_only_bound_records_per_s=LIST_ONLY_BOUND,
                   vs_list_only_bound=figures["records"] / figures["wall_s"] / LIST_ONLY_BOUND)
    return figures


LIST_ONLY_BOUND = 190 / 10 * 100


def change_one_percent(emulator, contacts: int) -> None:
    emulator.control.touch("contacts", count=max(1, contacts // 100),
                           modified_ms=int(time.time() * 1000))


def add_ratios(figures: dict[str, dict]) -> None:
    for name, f in figures.items():
        floor = figures.get("fetch_links" if name.endswith("_links") else "fetch")
        if floor and name != "pro":
            f["ratio_to_floor"] = (f["wall_s"] / f["records"]) / (floor["wall_s"]
                                                                  / floor["records"])
    full = figures.get("full")
    if full and "force" in figures:
        figures["force"]["ratio_to_full"] = figures["force"]["wall_s"] / full["wall_s"]
    if full and "incremental" in figures:
        figures["incremental"]["share_of_full"] = figures["incremental"]["wall_s"] / full["wall_s"]
    for name in ("full", "full_links"):
        if name in figures and "baseline" in figures:
            figures[name]["speedup_vs_baseline"] = (figures[name]["records_per_s"]
                                                    / figures["baseline"]["records_per_s"])


def fresh_database(db: str) -> str:
    if db == "sqlite":
        path = ROOT / "var" / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    # BENCH_POSTGRES_DB: another database name, for benches run side by side.
    name = os.environ.get("BENCH_POSTGRES_DB") or "hubspot_bench"
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"BENCH_POSTGRES_DB: not a plain database name: {name!r}")
    with psycopg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def empty_tables(env: dict) -> None:
    manage(env, "shell", "-v", "0", "-c",
           "from ingestion.models import HubSpotContact, HubSpotAssociation, SyncHistory; "
           "[m.objects.all().delete() for m in (HubSpotContact, HubSpotAssociation, SyncHistory)]")


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.machine()}


def print_table(db: str, figures: dict[str, dict]) -> None:
    print(f"\n{db}: {'scenario':<12} {'records':>8} {'wall s':>8} {'rec/s':>9} "
          f"{'cpu s/1k':>9} {'rss MB':>7} {'x floor':>8}  notes")
    for name, f in figures.items():
        notes = {k: round(v, 3) if isinstance(v, float) else v for k, v in f.items()
                 if k in ("ratio_to_full", "share_of_full", "speedup_vs_baseline", "http_429",
                          "requests", "search_requests", "vs_list_only_bound")}
        print(f"{'':<{len(db) + 1}} {name:<12} {f['records']:>8} {f['wall_s']:>8.2f} "
              f"{f['records_per_s']:>9.0f} {f['cpu_s_per_1000']:>9.3f} "
              f"{f['peak_rss_mb']:>7.0f} {f.get('ratio_to_floor', 0):>8.2f}  {notes or ''}")


if __name__ == "__main__":
    main()
