"""Several portals on Celery workers: one `sync_hubspot_all --full` task per portal, on 1, 2
and 4 worker processes, against the least time each portal's own limits allow.

    .venv/bin/python -m bench.portals [--portals 20] [--contacts 10000] [--workers 1 2 4]
                                      [--broker redis://127.0.0.1:6379/13]

Starts one emulator per portal (its own process, port, token and seed) on HubSpot's `pro`
profile, seeded with the realistic mix for N contacts (bench/portal.py), and registers each
with `hubspot_portal add pNN --token-env … --base-url … --portal-id …` on a fresh PostgreSQL
database (bench_portals). Then per worker count: the portals' tables emptied, `celery -A config
worker -c N` (prefork, its own queue), one `ingestion.sync_hubspot` task per portal
(command sync_hubspot_all, full, portal) sent at once, the wall time until the last one ends.
(sync_hubspot_all --all-portals --on-workers was not on this branch's base: the bench sends
the per-portal tasks itself, which is what that command does.)

Per portal: records, requests and 429s (the emulator's own count), its runs' span, and its
T_min (bench/portal.py `least`: its mix under its own budgets). For the fleet: T_min of the
largest portal (the floor with a worker per portal) and sum(T_min) / N (N workers, each a
portal at a time). The database's time: PostgreSQL's `active_time` for the database
(pg_stat_database, read after the workers stop so every session has reported). CPU seconds of
the workers and of the emulators, and the load average, say what bounded the run.
Results: bench/results/portals-<date>-<P>x<N>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import resource
import signal
import subprocess
import sys
import time

import orjson

from bench.__main__ import POSTGRES_ADMIN_URL, ROOT, machine, manage
from bench.portal import READ_RUNS, least

DATABASE = "bench_portals"
QUEUE = "bench_portals"
FIRST_PORTAL_ID = 5_000_001


def main() -> None:
    args = parse_args()
    from hubspot_emulator.testing import spawn_emulator

    names = [f"p{i + 1:02d}" for i in range(args.portals)]
    results = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "machine": machine(), "portals": args.portals, "contacts": args.contacts,
               "profile": "pro", "runs": {}}
    with contextlib.ExitStack() as stack:
        emulators = [stack.enter_context(spawn_emulator(
                         token=f"pat-na1-bench-{name}", contacts=args.contacts, seed=i + 1,
                         extra_args=["--portal-id", str(FIRST_PORTAL_ID + i)]))
                     for i, name in enumerate(names)]
        env = environment(args, names, emulators)
        register(env, names, emulators)
        for workers in args.workers:
            results["runs"][str(workers)] = run(args, env, names, emulators, workers)
            print_run(workers, results["runs"][str(workers)])
            write(results, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13",
                        help="Celery broker and result backend (a database of its own)")
    return parser.parse_args()


def run(args, env: dict, names: list[str], emulators: list, workers: int) -> dict:
    """One fleet sync on `workers` processes, from empty tables and fresh emulators."""
    empty_portals()
    reset_emulators(args, emulators)
    before = database_counters()
    cpu_before = emulator_cpu(emulators), children_cpu()
    load_before = os.getloadavg()
    with celery_workers(env, workers):
        started = time.perf_counter()
        outcomes = sync_fleet(args.broker, names)
        wall = time.perf_counter() - started
    load_after = os.getloadavg()
    figures = {"workers": workers, "wall_s": wall, "task_status": outcomes,
               "emulators_cpu_s": emulator_cpu(emulators) - cpu_before[0],
               "workers_cpu_s": children_cpu() - cpu_before[1],
               "loadavg_before": load_before, "loadavg_after": load_after,
               "database": {k: v - before[k] for k, v in database_counters().items()}}
    figures["portals"] = per_portal(env, names, emulators)
    figures.update(fleet_totals(figures["portals"], workers, wall))
    return figures


def environment(args, names: list[str], emulators: list) -> dict:
    """No implicit portal (no HUBSPOT_ACCESS_TOKEN): the fleet is the registered portals."""
    env = {**os.environ, "DATABASE_URL": fresh_database(), "HUBSPOT_ACCESS_TOKEN": "",
           "HUBSPOT_MIRROR_ENV_FILE": "", "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "5",
           "HUBSPOT_RATE_LIMIT_REDIS_URL": "", "REDIS_URL": "",
           "CELERY_BROKER_URL": args.broker, "CELERY_RESULT_BACKEND": args.broker}
    for name, emulator in zip(names, emulators, strict=True):
        env[token_variable(name)] = emulator.token
    return env


def token_variable(name: str) -> str:
    return f"HUBSPOT_TOKEN_{name.upper()}"


def register(env: dict, names: list[str], emulators: list) -> None:
    """Migrate, then `hubspot_portal add` each portal (its schema, migrated), one at a time:
    two adds at once failed in a migration (index "hubspot_contact_email_…" does not exist)."""
    manage(env, "migrate", "--verbosity", "0")

    def add(i: int) -> None:
        manage(env, "hubspot_portal", "add", names[i], "--token-env", token_variable(names[i]),
               "--base-url", emulators[i].url, "--portal-id", str(FIRST_PORTAL_ID + i))

    for i in range(len(names)):
        add(i)


def empty_portals() -> None:
    """Every portal's mirrored rows and run history gone (its schema and migrations kept):
    registering 20 portals again for each run would cost more than the runs."""
    import psycopg

    with psycopg.connect(admin_url().rsplit("/", 1)[0] + f"/{DATABASE}",
                         autocommit=True) as conn:
        tables = [f'"{schema}"."{table}"' for schema, table in conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname LIKE 'hubspot_p_%%' "
            "AND tablename NOT LIKE 'django_%%' AND tablename NOT LIKE 'auth_%%'")]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")


def reset_emulators(args, emulators: list) -> None:
    """Same data (each its seed), no requests counted, pro limits from an empty window."""
    for i, emulator in enumerate(emulators):
        emulator.control.reset(contacts=args.contacts, seed=i + 1, rate_limit="pro")


@contextlib.contextmanager
def celery_workers(env: dict, workers: int):
    """`celery -A config worker -c N` on a queue of its own; stopped (warm shutdown) after."""
    hostname = f"bench-portals-{workers}@%h"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", str(workers),
         "-P", "prefork", "-Q", QUEUE, "-n", hostname, "-l", "warning", "--without-gossip",
         "--without-mingle", "--without-heartbeat"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(env["CELERY_BROKER_URL"], hostname.replace("%h", os.uname().nodename))
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=120)
        if worker.returncode not in (0, -signal.SIGTERM):
            print(errors[-2000:], file=sys.stderr)


def celery_app(broker: str):
    from celery import Celery

    return Celery("bench_portals", broker=broker, backend=broker)


def wait_ready(broker: str, hostname: str, timeout: float = 120.0) -> None:
    app = celery_app(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(destination=[hostname], timeout=1.0):
            return
    raise SystemExit(f"worker {hostname} not ready after {timeout:.0f} s")


def sync_fleet(broker: str, names: list[str]) -> dict[str, str]:
    """One task per portal, all sent at once (the queue orders them); each task's state."""
    app = celery_app(broker)
    sent = {name: app.send_task("ingestion.sync_hubspot", queue=QUEUE,
                                kwargs={"command": "sync_hubspot_all", "full": True,
                                        "portal": name}) for name in names}
    states = {}
    for name, result in sent.items():
        result.get(propagate=False, disable_sync_subtasks=False)
        states[name] = result.state
    return states


def children_cpu() -> float:
    """CPU seconds of waited-for children: the Celery worker (it waits for its pool)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def emulator_cpu(emulators: list) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for emulator in emulators:
        with open(f"/proc/{emulator.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def database_counters() -> dict[str, float]:
    """PostgreSQL's own account of the database: ms executing statements, commits, rows."""
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT active_time, xact_commit, tup_inserted, tup_updated, tup_deleted "
            "FROM pg_stat_database WHERE datname = %s", (DATABASE,)).fetchone()
    keys = ("active_ms", "commits", "rows_inserted", "rows_updated", "rows_deleted")
    return dict(zip(keys, (float(v or 0) for v in row), strict=True))


PER_PORTAL = """
import json
from ingestion.sync.hubspot.accounts import activate
found = {}
for name in NAMES:
    with activate(name):
        space = {}
        exec(READ_RUNS.replace("print(json.dumps(runs))", ""), space)
        found[name] = space["runs"]
print(json.dumps(found))
"""


def per_portal(env: dict, names: list[str], emulators: list) -> dict[str, dict]:
    """Each portal's runs (from its own sync_history), requests and 429s, and its T_min."""
    script = f"NAMES = {names!r}\nREAD_RUNS = {READ_RUNS!r}\n{PER_PORTAL}"
    done = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    portals = {}
    for name, emulator in zip(names, emulators, strict=True):
        stats = emulator.control.stats()
        records = [r for r in runs[name] if r["live"] is not None]
        others = sum(r["requests"] for r in runs[name] if r["live"] is None)
        portals[name] = {"records": sum(r["live"] + r["archived"] for r in records),
                         "requests": stats["requests"],
                         "http_429": stats["by_status"].get("429", 0),
                         "failed_types": [r["type"] for r in runs[name]
                                          if r["status"] not in ("success", "skipped")],
                         "sync_s": sum(r["wall_s"] for r in runs[name]),
                         "least_wall_s": least(runs[name], others)["least_wall_s"]}
    return portals


def fleet_totals(portals: dict[str, dict], workers: int, wall: float) -> dict:
    """The fleet's least time: a portal cannot go faster than its own T_min, and N workers
    that each sync one portal at a time need at least sum(T_min) / N."""
    floors = [p["least_wall_s"] for p in portals.values()]
    bound = max(max(floors), sum(floors) / workers)
    records = sum(p["records"] for p in portals.values())
    return {"records": records, "records_per_s": records / wall,
            "requests": sum(p["requests"] for p in portals.values()),
            "http_429": sum(p["http_429"] for p in portals.values()),
            "largest_portal_least_s": max(floors), "sum_least_over_workers_s":
            sum(floors) / workers, "least_wall_s": bound, "wall_vs_least": wall / bound}


def admin_url() -> str:
    return POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://")


def fresh_database() -> str:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


def print_run(workers: int, f: dict) -> None:
    print(f"\n{workers} worker process(es): {f['records']:,} records in {f['wall_s']:.1f} s "
          f"({f['records_per_s']:.0f}/s), {f['requests']:,} requests, {f['http_429']} x 429; "
          f"least {f['least_wall_s']:.1f} s (largest portal {f['largest_portal_least_s']:.1f} s,"
          f" sum/N {f['sum_least_over_workers_s']:.1f} s) -> x{f['wall_vs_least']:.2f}")
    print(f"  CPU s: workers {f['workers_cpu_s']:.0f}, emulators {f['emulators_cpu_s']:.0f}; "
          f"database active {f['database']['active_ms'] / 1000:.1f} s, "
          f"{f['database']['commits']:.0f} commits; load {f['loadavg_before'][0]:.1f} -> "
          f"{f['loadavg_after'][0]:.1f}")
    print(f"  {'portal':<6} {'records':>8} {'requests':>9} {'429':>5} {'sync s':>7} "
          f"{'T_min s':>8} status")
    for name, p in f["portals"].items():
        print(f"  {name:<6} {p['records']:>8} {p['requests']:>9} {p['http_429']:>5} "
              f"{p['sync_s']:>7.1f} {p['least_wall_s']:>8.1f} {f['task_status'][name]} "
              f"{' '.join(p['failed_types'])}")


def write(results: dict, args) -> None:
    name = f"portals-{datetime.date.today()}-{args.portals}x{args.contacts}.json"
    out = ROOT / "bench" / "results" / name
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
