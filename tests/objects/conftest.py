import io

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def hubspot(emulator, settings):
    """The emulator, with Django settings pointing at it and fast retries for tests."""
    settings.HUBSPOT_API_BASE_URL = emulator.url
    settings.HUBSPOT_ACCESS_TOKEN = emulator.token
    settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
    settings.HUBSPOT_MAX_ATTEMPTS = 3
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None  # the emulator has no limit by default
    settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = 300
    return emulator


class Run:
    """What a command printed: its summary lines parsed into counts by type."""

    def __init__(self, out: str, err: str):
        self.out, self.err = out, err
        self.counts: dict[str, dict[str, int]] = {}
        for line in out.splitlines():
            name, sep, rest = line.partition(": fetched=")
            if sep:
                pairs = ("fetched=" + rest).split(" (dry run")[0].split()
                self.counts[name] = {k: int(v) for k, v in (p.split("=") for p in pairs)}

    def __getitem__(self, name: str) -> dict[str, int]:
        return self.counts[name]


def run_command(name: str, *flags: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *flags, stdout=out, stderr=err)
    return Run(out.getvalue(), err.getvalue())


def run_failing(name: str, *flags: str) -> tuple[CommandError, Run]:
    """Run a command that must fail: (its error, what it printed before failing)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(name, *flags, stdout=out, stderr=err)
    return failure.value, Run(out.getvalue(), err.getvalue())


@pytest.fixture
def api(hubspot):
    """HubSpot's public API on the emulator, to change the portal the way a user would."""
    with httpx.Client(base_url=hubspot.url, timeout=30,
                      headers={"Authorization": f"Bearer {hubspot.token}"}) as client:
        yield client
