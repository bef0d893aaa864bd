"""`--portal NAME` on every ingestion command, written once: `PortalCommand` (a mixin put
before BaseCommand) adds the option and runs the whole command inside
`accounts.activate(name)`: that portal's data scope for every connection, its credentials
and base URL in the settings. Without the option: HUBSPOT_PORTAL, else the implicit portal
(the settings as they are, nothing switched)."""

from __future__ import annotations

from contextlib import ExitStack

from django.conf import settings

from ingestion.sync.hubspot.accounts import PortalError, activate

from .outcomes import ConfigurationError


class PortalCommand:
    """Mixin: `--portal NAME` for a management command (before BaseCommand in the bases)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--portal", metavar="NAME",
                            help="the portal to run for (manage.py hubspot_portal list); "
                                 "default: HUBSPOT_PORTAL, else the portal the HUBSPOT_* "
                                 "settings describe")
        return parser

    def execute(self, *args, **options):
        name = options.get("portal") or settings.HUBSPOT_PORTAL or None
        with ExitStack() as stack:
            try:
                self.portal = stack.enter_context(activate(name))
            except PortalError as error:
                raise ConfigurationError(str(error)) from None
            if not self.portal.implicit:  # what fan_out forwards to children and workers
                options["portal"] = self.portal.name
            return super().execute(*args, **options)
