"""The main job on the embedded defaults: a local HubSpot emulator and SQLite.

    python3 dev.py demo [--contacts N]

Starts the emulator with a seeded portal, migrates the database, then runs what a user
runs: a full sync, an upstream change followed by an incremental sync, a preview of a
complete replacement (`--full --force-overwrite --dry-run`), then every other object type.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

DEMO_TOKEN = "pat-na1-demo-token"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000, help="portal size (default 2000)")
    args = parser.parse_args(argv)

    from hubspot_emulator.testing import spawn_emulator

    with spawn_emulator(token=DEMO_TOKEN, contacts=args.contacts) as emulator:
        os.environ["HUBSPOT_API_BASE_URL"] = emulator.url
        os.environ["HUBSPOT_ACCESS_TOKEN"] = DEMO_TOKEN
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django
        from django.core.management import call_command

        django.setup()
        step(f"HubSpot emulator with {args.contacts} contacts at {emulator.url}")
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
        from django.conf import settings

        step(f"done: the mirror is in {settings.DATABASES['default']['NAME']}")


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


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
