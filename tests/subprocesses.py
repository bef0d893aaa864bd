"""Running the project as an operator does, in subprocesses: manage.py, dev.py and the celery
command, with an environment the test controls and the test's own database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def clean_environment(**overrides: str) -> dict[str, str]:
    """os.environ without the project's settings, so the developer's shell or .env cannot
    change what a subprocess does; then `overrides`."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUBSPOT_", "DJANGO_")) and name != "DATABASE_URL"}
    env["HUBSPOT_MIRROR_ENV_FILE"] = ""  # empty: no .env file at all
    env.update(overrides)
    return env


def run_python(*args: str, env: dict[str, str],
               timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def current_database_url() -> str:
    """The URL of the database this test process uses, for a subprocess to open."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def signal_when(process: subprocess.Popen, how: int, reached: Callable[[], bool], *,
                hubspot, slow_path: str, slow_s: float, poll_s: float = 0.01,
                within_s: float = 240) -> None:
    """Send `how` to `process` once `reached()` holds (HubSpot's answers under `slow_path`
    slowed by `slow_s` meanwhile, so the moment comes before the run ends), then wait for
    the process to end. Fails if it ends first or the moment does not come in time."""
    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=slow_s,
                               match={"path_prefix": slow_path})
    try:
        deadline = time.monotonic() + within_s
        while not reached():
            assert process.poll() is None, f"ended before the signal: {process.communicate()}"
            assert time.monotonic() < deadline, "the run did not get far enough in time"
            time.sleep(poll_s)
        process.send_signal(how)
        process.communicate(timeout=120)
    finally:
        hubspot.control.clear_faults()
