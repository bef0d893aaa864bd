"""Every ingestion command takes --portal (portal_option.PortalCommand), but the registry's
own command and migrate, which work on every portal."""

from __future__ import annotations

from pathlib import Path

from django.core.management import get_commands, load_command_class

import ingestion.management.commands as commands_package

NOT_FOR_ONE_PORTAL = {"hubspot_portal", "migrate"}


def test_commands_when_parsed_then_each_offers_portal():
    folder = Path(commands_package.__file__).parent
    names = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    assert len(names) > 60
    lacking = []
    for name in names:
        command = load_command_class(get_commands()[name], name)
        options = {o for action in command.create_parser("manage.py", name)._actions
                   for o in action.option_strings}
        if ("--portal" in options) == (name in NOT_FOR_ONE_PORTAL):
            lacking.append(name)
    assert lacking == []
