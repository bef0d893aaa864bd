"""The main job on the embedded defaults: a local HubSpot emulator and SQLite.

    python3 dev.py demo [--contacts N]

Starts the emulator with a seeded portal, migrates the database, then runs what a user
runs: a full sync, an upstream change followed by an incremental sync, a preview of a
complete replacement (`--full --force-overwrite --dry-run`), then every other object type.

The demo only ever writes its own SQLite file, var/demo.sqlite3 (recreated on every run),
and only talks to its own emulator: DATABASE_URL, every HUBSPOT_* and DJANGO_* variable,
and the .env file are ignored, so it cannot touch a configured database or HubSpot account.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from hubspot_emulator.testing import spawn_emulator

DEMO_TOKEN = "pat-na1-demo-token"
ROOT = Path(__file__).resolve().parent.parent
DEMO_DB = ROOT / "var" / "demo.sqlite3"
DEMO_LOCK = ROOT / "var" / "demo.lock"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000, help="portal size (default 2000)")
    args = parser.parse_args(argv)

    with demo_lock(), spawn_emulator(token=DEMO_TOKEN, contacts=args.contacts) as emulator:
        isolate_environment(emulator.url)
        import django
        from django.core.management import CommandError

        django.setup()
        check_isolated(emulator.url)
        step(f"HubSpot emulator with {args.contacts} contacts at {emulator.url}")
        step(f"demo database: {DEMO_DB} (SQLite, recreated on every run; DATABASE_URL, "
             "HUBSPOT_* settings and .env are not used)")
        try:
            run_scenario(emulator)
        except CommandError as error:  # the command's message and status, as manage.py
            print(f"demo failed: {error}", file=sys.stderr)
            sys.exit(error.returncode)
        step(f"done: the mirror is in {DEMO_DB}")
        print_how_to_look()


def run_scenario(emulator) -> None:
    from django.core.management import call_command

    for suffix in ("", "-wal", "-shm", "-journal"):  # a fresh database on every run
        Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    step("1. full sync: python manage.py sync_hubspot_contacts --full")
    call_command("sync_hubspot_contacts", "--full")
    changed = change_upstream(emulator)
    step(f"2. {changed} contacts changed in HubSpot; incremental sync: "
         "python manage.py sync_hubspot_contacts")
    call_command("sync_hubspot_contacts")
    step("3. preview a complete replacement: "
         "python manage.py sync_hubspot_contacts --full --force-overwrite --dry-run")
    call_command("sync_hubspot_contacts", "--full", "--force-overwrite", "--dry-run")
    step("4. the rest of the CRM: python manage.py sync_hubspot_all")
    call_command("sync_hubspot_all")
    step("5. is the mirror exact? python manage.py verify_hubspot")
    call_command("verify_hubspot")


@contextmanager
def demo_lock():
    """One demo at a time: each one deletes and recreates var/demo.sqlite3."""
    DEMO_LOCK.parent.mkdir(exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory file locks; nothing to guard with
        yield
        return
    with open(DEMO_LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.exit(f"Another demo is running (it holds {DEMO_LOCK}); wait for it to end.")
        yield


def isolate_environment(emulator_url: str) -> None:
    """Before Django reads its settings: drop every variable that could point this process
    at another database or HubSpot account (or slow it down or break it), turn the .env file
    off, and set the demo's own values."""
    if _django_settings_loaded():
        sys.exit("The demo must run in its own process (python3 dev.py demo): Django's "
                 "settings are already loaded here.")
    for name in [n for n in os.environ
                 if n.startswith(("HUBSPOT_", "DJANGO_")) or n == "DATABASE_URL"]:
        del os.environ[name]
    os.environ.update({
        "HUBSPOT_MIRROR_ENV_FILE": "",  # empty: no .env file
        "DATABASE_URL": f"sqlite:///{quote(str(DEMO_DB))}",  # quoted: a path may hold '#'
        "HUBSPOT_API_BASE_URL": emulator_url,
        "HUBSPOT_ACCESS_TOKEN": DEMO_TOKEN,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    })


def _django_settings_loaded() -> bool:
    from django.conf import settings

    return settings.configured


def check_isolated(emulator_url: str) -> None:
    """A last check before the first write, whatever changes in settings later."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if (database["ENGINE"] != "django.db.backends.sqlite3"
            or Path(database["NAME"]) != DEMO_DB
            or emulator_url != settings.HUBSPOT_API_BASE_URL):
        sys.exit(f"The demo refuses to run: settings do not point at {DEMO_DB} and its "
                 "own emulator.")


def change_upstream(emulator) -> int:
    """Edit a few contacts through HubSpot's own API, as a user in HubSpot would."""
    import httpx

    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    with httpx.Client(base_url=emulator.url, headers=headers) as http:
        page = http.get("/crm/v3/objects/contacts", params={"limit": 5}).raise_for_status()
        ids = [record["id"] for record in page.json()["results"]]
        for object_id in ids:
            http.patch(f"/crm/v3/objects/contacts/{object_id}",
                       json={"properties": {"lifecyclestage": "customer",
                                            "jobtitle": f"Changed at {time.strftime('%H:%M:%S')}"}}
                       ).raise_for_status()
    return len(ids)


def print_how_to_look() -> None:
    # Paths relative to where the user stands, so each line can be pasted as it is.
    db, python, manage = (os.path.relpath(path)
                          for path in (DEMO_DB, sys.executable, ROOT / "manage.py"))
    print("\nLook at the data:\n"
          f"  sqlite3 {db} \"SELECT id, email, firstname, lastname, lifecyclestage "
          "FROM hubspot_contact LIMIT 10\"\n"
          f"  DATABASE_URL=sqlite:///{quote(db)} {python} {manage} dbshell\n"
          "Tables are named hubspot_<type> (hubspot_contact, hubspot_company, hubspot_deal, "
          "hubspot_association ...).", flush=True)
    print_how_to_open_status(db, python, manage)


def print_how_to_open_status(db: str, python: str, manage: str) -> None:
    """The operators' view of the demo's runs: /status/ and the admin, on a local server."""
    # The server answers only to the host names allowed (default: localhost); a local try-out
    # runs in debug mode, which needs no DJANGO_SECRET_KEY (config/environment.py).
    env = (f"DATABASE_URL=sqlite:///{quote(db)} DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost "
           "DJANGO_DEBUG=true")
    print("\nOpen the status page (freshness per type, run history) and the admin:\n"
          f"  {env} {python} {manage} createsuperuser\n"
          f"  {env} {python} {manage} runserver\n"
          f"  then http://127.0.0.1:8000/status/ (log in as that user; the admin is "
          "http://127.0.0.1:8000/admin/)\n"
          f"  or, in a terminal: {env} {python} {manage} hubspot_status", flush=True)


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
