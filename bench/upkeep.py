"""What keeping the mirror exact costs: API requests and wall time of each upkeep job against
a `--full` run of the same type.

    .venv/bin/python -m bench.upkeep [--contacts 100000] [--db postgres|sqlite]

Seeds a local emulator (its own process, no rate limit), syncs contacts with `--full` (links
included) into a fresh database, then runs, each as its own `manage.py` process: an
incremental run after 1% of the contacts changed (again with the history of two
properties: `--with-history`), the link refresh, the deletion check, and
`verify_hubspot` (cheap, then `--ids`) if it is installed. Requests are counted by the
emulator, so they are exactly what HubSpot would be asked. Results go to
bench/results/upkeep-<date>-<contacts>.json.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time

import orjson

from bench.__main__ import ROOT, TOKEN, fresh_database, machine, manage

JOBS = [
    ("full", ["sync_hubspot_contacts", "--full"]),
    ("incremental (1% changed)", ["sync_hubspot_contacts"]),
    ("incremental + history", ["sync_hubspot_contacts", "--with-history",
                               "lifecyclestage,hs_lead_status"]),
    ("links", ["sync_hubspot_associations", "--types", "contacts"]),
    ("deletions", ["sync_hubspot_contacts", "--deletions"]),
    ("verify", ["verify_hubspot", "--types", "contacts"]),
    ("verify --ids", ["verify_hubspot", "--types", "contacts", "--ids"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    args = parser.parse_args()
    from hubspot_emulator.testing import spawn_emulator

    with spawn_emulator(token=TOKEN, contacts=args.contacts) as emulator:
        env = {**os.environ, "DATABASE_URL": fresh_database(args.db),
               "HUBSPOT_API_BASE_URL": emulator.url, "HUBSPOT_ACCESS_TOKEN": TOKEN,
               "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "0", "HUBSPOT_VERIFY_SETTLE_SECONDS": "0"}
        manage(env, "migrate", "--verbosity", "0")
        figures = {name: run_job(env, emulator, name, command, args.contacts)
                   for name, command in JOBS if installed(command[0])}
    full = figures["full"]
    for f in figures.values():
        f["requests_vs_full"] = f["requests"] / full["requests"]
        f["wall_vs_full"] = f["wall_s"] / full["wall_s"]
    history = figures.get("incremental + history")
    if history:  # the same 1% changed again, read with the history of two properties
        extra = history["requests"] - figures["incremental (1% changed)"]["requests"]
        history["extra_requests_per_1000_changed"] = extra / (max(1, args.contacts // 100) / 1000)
    print_table(args, figures)
    out = ROOT / "bench" / "results" / f"upkeep-{datetime.date.today()}-{args.contacts}.json"
    out.write_bytes(orjson.dumps({"machine": machine(), "contacts": args.contacts,
                                  "db": args.db, "jobs": figures},
                                 option=orjson.OPT_INDENT_2))
    print(f"\nwritten: {out.relative_to(ROOT)}")


def run_job(env: dict, emulator, name: str, command: list[str], contacts: int) -> dict:
    if name.startswith("incremental"):
        emulator.control.touch("contacts", count=max(1, contacts // 100),
                               modified_ms=int(time.time() * 1000))
    before = emulator.control.stats()["requests"]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 4):  # 4: verify found differences (it reports them)
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {"requests": emulator.control.stats()["requests"] - before, "wall_s": wall,
            "summary": done.stdout.strip().splitlines()[-3:]}


def installed(command: str) -> bool:
    return (ROOT / "ingestion" / "management" / "commands" / f"{command}.py").exists()


def print_table(args, figures: dict[str, dict]) -> None:
    print(f"\n{args.contacts:,} contacts on {args.db}")
    print(f"{'job':<26} {'requests':>9} {'x full':>7} {'wall s':>8} {'x full':>7}")
    for name, f in figures.items():
        print(f"{name:<26} {f['requests']:>9} {f['requests_vs_full']:>7.3f} "
              f"{f['wall_s']:>8.1f} {f['wall_vs_full']:>7.3f}")
    for name, f in figures.items():
        if "extra_requests_per_1000_changed" in f:
            print(f"{name}: {f['extra_requests_per_1000_changed']:.1f} extra requests per "
                  "1,000 changed records")


if __name__ == "__main__":
    main()
