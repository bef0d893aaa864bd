"""A stand-in for sync_hubspot_changes with its flags (--watch SECONDS, --dry-run, --debug),
used by tests/journal_ops.py only while the real command is not in the tree: the schedule
and the Celery task check a task's flags against the command's parser."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    def add_arguments(self, parser) -> None:
        parser.add_argument("--watch", type=int, metavar="SECONDS")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--debug", action="store_true")

    def handle(self, *args, **opts) -> None:
        raise CommandError("the stand-in of sync_hubspot_changes reads no journal")
