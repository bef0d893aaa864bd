"""Running sync commands in-process from tests: what they printed, parsed into counts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


class Run:
    """What a command printed: its summary lines parsed into counts by type."""

    def __init__(self, out: str, err: str):
        self.out, self.err = out, err
        self.counts: dict[str, dict[str, int]] = {}
        for line in out.splitlines():
            name, sep, rest = line.partition(": fetched=")
            if sep:
                pairs = ("fetched=" + rest).split(" (")[0].split()  # " (dry run…", " (resumed…"
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
