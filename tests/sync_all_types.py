"""`sync_hubspot_all` on a few types. A test of how the command runs types (their order, exit
statuses, signals, locks, the closing table) names the few it needs: each type of the whole
catalogue is one more run, one more process under --parallel, one more task on the workers.
One test per way of running proves that every type is in it: in one process
(tests/commands/test_sync_all.py, the healthy portal) and fanned out (tests/processes/
test_fan_out.py, two workers; --parallel shares its stages).

The definitions (properties, owners, pipelines and their stages) always run, first, as in
every run; the other types are named by object type, "custom_objects" for the custom object
types (their schemas, then each type)."""

from __future__ import annotations

import sys

CUSTOM = "custom_objects"


def only(names) -> list[tuple[object, str, object]]:
    """What to patch, as (owner, attribute, value), for sync_hubspot_all to run the
    definitions and `names` only: in one process and fanned out (--parallel, --on-workers)."""
    from ingestion.management import fan_out
    from ingestion.management.commands import sync_hubspot_all
    from ingestion.sync.hubspot.engines.registry import DEFINITION_ENGINES

    names = set(names)
    engines = tuple(engine for engine in sync_hubspot_all.ENGINES
                    if engine in DEFINITION_ENGINES or engine.object_type in names)
    every_stage = fan_out.stages

    def stages(job):
        kept = [(stage, tuple(command for command in commands
                              if command in fan_out.DEFINITIONS
                              or command.removeprefix("sync_hubspot_") in names))
                for stage, commands in every_stage(job)]
        return [(stage, commands) for stage, commands in kept if commands]

    custom = sync_hubspot_all.custom_object_engines if CUSTOM in names else lambda client: []
    return [(sync_hubspot_all, "ENGINES", engines),
            (sync_hubspot_all.Command, "planned", engines),
            (sync_hubspot_all, "custom_object_engines", custom),
            (fan_out, "stages", stages)]


def keep_only(monkeypatch, *names: str) -> None:
    """In this process (the command run by `run_command`, or sending to the workers)."""
    for owner, attribute, value in only(names):
        monkeypatch.setattr(owner, attribute, value)


# The start of a script run in ROOT (`python -c`): Django set up as manage.py does, then
# sync_hubspot_all narrowed to the types of argv[1] ("a,b"); the script goes on after it.
ON_TYPES = """
import os, sys
sys.path.insert(0, "tests")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.environment import load_settings_or_exit
load_settings_or_exit()
import django
django.setup()
from sync_all_types import only
for owner, attribute, value in only(sys.argv[1].split(",")):
    setattr(owner, attribute, value)
"""

# `manage.py sync_hubspot_all` in a process of its own, on those types; then its flags.
_SYNC_ALL_ON = ON_TYPES + """
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "sync_hubspot_all", *sys.argv[2:]])
"""


def sync_all_argv(types: tuple[str, ...] | None, *flags: str) -> list[str]:
    """The command line (run in ROOT) of `sync_hubspot_all *flags`: on `types` only, or on
    every type (None)."""
    if types is None:
        return [sys.executable, "manage.py", "sync_hubspot_all", *flags]
    return [sys.executable, "-c", _SYNC_ALL_ON, ",".join(types), *flags]

