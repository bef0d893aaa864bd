#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from config.environment import load_settings_or_exit

    # Settings first: a bad value ends every command (help included) with one line naming
    # the variable, before Django would turn it into a traceback or "Unknown command".
    load_settings_or_exit()
    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # raised later, e.g. by a database backend
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
