"""The `sync_hubspot_<name>` command of each standard object type, from the table.

Django finds a command only as a module on disk (`<app>/management/commands/<name>.py`: it
lists that folder, and documents no other way to add a command), so each type keeps a file
there, holding one line: `Command = record_command("<name>")`. tests/commands/
test_type_commands.py fails, naming the file, when the table and those files disagree.
"""

from __future__ import annotations

from ingestion.sync.hubspot.engines.registry import SOURCES_BY_NAME
from ingestion.sync.hubspot.engines.standard import BY_NAME

from .base_hubspot_sync import BaseHubSpotSyncCommand

COMMANDS_PACKAGE = "ingestion.management.commands"


def record_command(name: str) -> type[BaseHubSpotSyncCommand]:
    """The command class of the standard type `name`: its engine built from the table.
    Its module is the command's file (the command names itself after it)."""
    return _command(name, BY_NAME[name])


def source_command(name: str) -> type[BaseHubSpotSyncCommand]:
    """The command class of the marketing source `name` (registry.SOURCE_ENGINES)."""
    return _command(name, SOURCES_BY_NAME[name])


def _command(name: str, engine_class: type) -> type[BaseHubSpotSyncCommand]:
    return type("Command", (BaseHubSpotSyncCommand,), {
        "__module__": f"{COMMANDS_PACKAGE}.sync_hubspot_{name}", "engine_class": engine_class})
