"""What a stopped first sync costs to finish, and how close `--plan` comes (issue 28).

    .venv/bin/python -m bench.resume [--contacts 1000000] [--db postgres|sqlite]
                                     [--kills 0.3 0.6 0.9] [--portal-contacts 20000]

1. Resume. Seeds the emulator (its own process, no rate limit, search unpaced) with N
   contacts; a first sync of contacts (records only: `--skip-associations`, as the other
   contacts benches) into a fresh database, uninterrupted: its requests and wall time. Then
   per kill point, a fresh database, the same first sync SIGKILLed once the running
   `sync_history` row's committed records (`progress.records`, written as batches commit)
   pass that share of N, then the rerun (plain, as an operator would): its requests and wall
   time and their ratios to the uninterrupted run, the stopped attempt's too, and
   `verify_hubspot`'s exit status after it (0: the mirror is exact). The kill point is of the
   records committed, not of the requests: what the checkpoint can keep.
2. The plan's error. The emulator's whole portal (bench/portal.py's mix for
   `--portal-contacts`, on the `pro` profile: the budgets the plan reasons with), a fresh
   database: `sync_hubspot_all --plan`, then `sync_hubspot_all` (a first run: full); then 1% of
   every record type's records changed, `--plan` and the incremental run again. Planned
   against made requests per type (the run's `sync_history` rows) and in total (counted by the
   emulator, the plan's own requests left out), and the error in percent.

Requests are counted by the emulator. Results: bench/results/resume-<date>-<N>.json
(plan-<date>-portal-<N>.json with `--skip resume`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import orjson

from bench.__main__ import ROOT, TOKEN, fresh_database, machine, manage

FIRST_SYNC = ["sync_hubspot_contacts", "--skip-associations"]
PLAN_LINE = re.compile(r"^plan: (\S+) records=(\d+) requests=(\d+) seconds=(\d+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--kills", type=float, nargs="+", default=[0.3, 0.6, 0.9])
    parser.add_argument("--portal-contacts", type=int, default=20_000,
                        help="contacts of the whole portal the plan is checked on")
    parser.add_argument("--skip", choices=["resume", "plan"], default=None)
    args = parser.parse_args()
    from hubspot_emulator.testing import spawn_emulator

    results = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "machine": machine(), "contacts": args.contacts, "db": args.db,
               "portal_contacts": args.portal_contacts}
    with spawn_emulator(token=TOKEN, contacts=args.contacts) as emulator:
        if args.skip != "resume":
            results["resume"] = resume_cost(emulator, args)
            print_resume(results["resume"])
        if args.skip != "plan":
            results["plan"] = plan_error(emulator, args)
            print_plan(results["plan"])
    name = (f"resume-{datetime.date.today()}-{args.contacts}" if args.skip != "resume"
            else f"plan-{datetime.date.today()}-portal-{args.portal_contacts}")
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"\nwritten: {out.relative_to(ROOT)}")


def environment(emulator, db: str, **extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": fresh_database(db), "HUBSPOT_API_BASE_URL": emulator.url,
           "HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "0",
           "HUBSPOT_VERIFY_SETTLE_SECONDS": "0", "HUBSPOT_MIRROR_ENV_FILE": "",
           "HUBSPOT_RATE_LIMIT_REDIS_URL": "", "REDIS_URL": "", **extra}
    manage(env, "migrate", "--verbosity", "0")
    return env


# -- 1. resume -------------------------------------------------------------------------------

def resume_cost(emulator, args) -> dict:
    emulator.control.reset(contacts=args.contacts, seed=1, rate_limit="none")
    env = environment(emulator, args.db)
    whole = counted(emulator, lambda: run(env, FIRST_SYNC))
    figures = {"uninterrupted": whole, "kills": {}}
    for share in args.kills:
        env = environment(emulator, args.db)
        stopped = counted(emulator, lambda: kill_at(env, share, args.contacts))  # noqa: B023
        rerun = counted(emulator, lambda: run(env, FIRST_SYNC))  # noqa: B023
        verify = subprocess.run([sys.executable, "manage.py", "verify_hubspot", "--types",
                                 "contacts"], cwd=ROOT, env=env, capture_output=True, text=True)
        figures["kills"][f"{round(100 * share)}%"] = {
            "stopped_attempt": stopped, "rerun": rerun,
            "rerun_requests_vs_uninterrupted": rerun["requests"] / whole["requests"],
            "rerun_wall_vs_uninterrupted": rerun["wall_s"] / whole["wall_s"],
            "both_requests_vs_uninterrupted": (stopped["requests"] + rerun["requests"])
            / whole["requests"],
            "both_wall_vs_uninterrupted": (stopped["wall_s"] + rerun["wall_s"]) / whole["wall_s"],
            "verify_exit": verify.returncode,
            "verify_summary": verify.stdout.strip().splitlines()[-1:]}
    return figures


def counted(emulator, action) -> dict:
    before = emulator.control.stats()["requests"]
    started = time.perf_counter()
    outcome = action()
    figures = {"requests": emulator.control.stats()["requests"] - before,
               "wall_s": time.perf_counter() - started}
    figures.update(outcome or {})
    return figures


def run(env: dict, command: list[str]) -> dict:
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    return {"summary": [line for line in done.stdout.splitlines() if line.strip()][-2:]}


def kill_at(env: dict, share: float, contacts: int) -> dict:
    """The first sync, SIGKILLed once its running row's committed records pass `share`."""
    process = subprocess.Popen([sys.executable, "manage.py", *FIRST_SYNC], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while (committed := running_records(env["DATABASE_URL"])) < share * contacts:
            if process.poll() is not None:
                raise SystemExit(f"the first sync ended before {share:.0%}: "
                                 f"{process.stderr.read()[-2000:]}")
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    return {"records_committed_at_kill": committed, "kill_share": committed / contacts}


def running_records(database_url: str) -> int:
    """The committed records on the running contacts row (0 before it exists)."""
    query = ("SELECT progress FROM sync_history WHERE object_type = 'contacts' "
             "AND status = 'running' ORDER BY id DESC LIMIT 1")
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=5) as conn:
            row = conn.execute(query).fetchone()
        progress = json.loads(row[0]) if row and row[0] else {}
    else:
        import psycopg

        with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
            row = conn.execute(query).fetchone()
        progress = row[0] if row and row[0] else {}
    return int(progress.get("records", 0))


# -- 2. the plan's error ---------------------------------------------------------------------

def plan_error(emulator, args) -> dict:
    counts = emulator.control.reset(contacts=args.portal_contacts, seed=1)["counts"]
    emulator.control.set_rate_limit("pro")
    env = environment(emulator, args.db, HUBSPOT_SEARCH_REQUESTS_PER_SECOND="5")
    figures = {"full": planned_and_made(emulator, env)}
    now_ms = int(time.time() * 1000)
    changed = {}
    for object_type, count in counts.items():
        if count:
            try:
                emulator.control.touch(object_type, count=max(1, count // 100),
                                       modified_ms=now_ms)
                changed[object_type] = max(1, count // 100)
            except Exception:  # a kind of data touch does not know (lists, forms, ...)
                continue
    figures["incremental"] = planned_and_made(emulator, env)
    figures["incremental"]["changed"] = changed
    figures["emulator_counts"] = counts
    for mode in ("full", "incremental"):
        figures[mode]["by_kind"] = by_kind(figures[mode]["types"], counts)
    return figures


def by_kind(types: dict, counts: dict) -> dict:
    """Planned and made requests of the record types (HubSpot counts them: the emulator's
    counts, custom objects `2-...`) and of the rest (definitions, lists, forms, marketing,
    conversations: planned from the rows the mirror holds), each summed."""
    kinds: dict[str, dict] = {"record types": {}, "other": {}}
    for name, t in types.items():
        kind = "record types" if name in counts or name.startswith("2-") else "other"
        kinds[kind][name] = t
    sums = {}
    for kind, group in kinds.items():
        planned = sum(t["planned"] or 0 for t in group.values())
        made = sum(t["made"] or 0 for t in group.values())
        sums[kind] = {"types": len(group), "planned": planned, "made": made,
                      "error_percent": error(planned, made) if made else None}
    return sums


def planned_and_made(emulator, env: dict) -> dict:
    before = emulator.control.stats()["requests"]
    done = subprocess.run([sys.executable, "manage.py", "sync_hubspot_all", "--plan"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    plan_requests = emulator.control.stats()["requests"] - before
    planned = {m[1]: {"records": int(m[2]), "requests": int(m[3]), "seconds": int(m[4])}
               for m in map(PLAN_LINE.match, done.stdout.splitlines()) if m}
    last_row = last_history_id(env)
    made = counted(emulator, lambda: run_all(env))
    rows = rows_since(env, last_row)
    types = {}
    for name in sorted(set(planned) - {"total"} | set(rows)):
        p, m = planned.get(name, {}).get("requests"), rows.get(name, {}).get("requests")
        types[name] = {"planned": p, "made": m,
                       "error_percent": error(p, m) if p is not None and m else None}
    total = planned["total"]
    return {"plan_own_requests": plan_requests,
            "planned_total": total["requests"], "made_total": made["requests"],
            "error_percent": error(total["requests"], made["requests"]),
            "planned_seconds": total["seconds"], "wall_s": made["wall_s"],
            "types": types, "made_exit": made.get("exit")}


def run_all(env: dict) -> dict:
    done = subprocess.run([sys.executable, "manage.py", "sync_hubspot_all"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode not in (0, 3):  # 3: some records failed (said in the table)
        raise SystemExit(f"sync_hubspot_all failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {"exit": done.returncode}


def error(planned: int, made: int) -> float:
    return 100 * (planned - made) / made


def last_history_id(env: dict) -> int:
    return json.loads(shell(env, "from django.db.models import Max; "
                                 "from ingestion.models import SyncHistory; import json; "
                                 "print(json.dumps(SyncHistory.objects.aggregate(m=Max('pk'))"
                                 "['m'] or 0))"))


def rows_since(env: dict, last: int) -> dict:
    """Requests per type from the run's sync_history rows (their details.requests)."""
    return json.loads(shell(env, "from ingestion.models import SyncHistory; import json; "
                                 f"rows = SyncHistory.objects.filter(pk__gt={last}); "
                                 "print(json.dumps({r.object_type: {'requests': "
                                 "(r.details or {}).get('requests'), 'status': r.status} "
                                 "for r in rows}))"))


def shell(env: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


# -- tables ----------------------------------------------------------------------------------

def print_resume(figures: dict) -> None:
    whole = figures["uninterrupted"]
    print(f"\nuninterrupted first sync: {whole['requests']} requests, {whole['wall_s']:.1f} s")
    print(f"{'kill at':<8} {'committed':>10} {'stopped req':>11} {'rerun req':>10} {'x req':>6} "
          f"{'rerun s':>8} {'x wall':>7} {'both x req':>10} {'verify':>6}")
    for name, k in figures["kills"].items():
        print(f"{name:<8} {k['stopped_attempt']['records_committed_at_kill']:>10} "
              f"{k['stopped_attempt']['requests']:>11} {k['rerun']['requests']:>10} "
              f"{k['rerun_requests_vs_uninterrupted']:>6.3f} {k['rerun']['wall_s']:>8.1f} "
              f"{k['rerun_wall_vs_uninterrupted']:>7.3f} "
              f"{k['both_requests_vs_uninterrupted']:>10.3f} {k['verify_exit']:>6}")


def print_plan(figures: dict) -> None:
    for mode in ("full", "incremental"):
        f = figures[mode]
        print(f"\nsync_hubspot_all ({mode}): planned {f['planned_total']} requests, made "
              f"{f['made_total']} ({f['error_percent']:+.1f}%); the plan itself "
              f"{f['plan_own_requests']} requests")
        for kind, k in f["by_kind"].items():
            print(f"  {kind}: planned {k['planned']} made {k['made']} "
                  f"({k['error_percent'] or 0:+.1f}%)")
        for name, t in f["types"].items():
            err = f"{t['error_percent']:+.1f}%" if t["error_percent"] is not None else "-"
            print(f"  {name[:28]:<28} planned {t['planned']!s:>6} made {t['made']!s:>6} {err}")


if __name__ == "__main__":
    main()
