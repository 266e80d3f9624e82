"""The management commands' edge for domain errors: a service's refusal ends the command with its message.

``CommandError`` is how Django reports a failed command: the message on stderr and exit status 1 from
the shell, the exception itself from ``call_command`` (tests, the scheduler).
"""

from django.core.management.base import BaseCommand, CommandError

from shop.errors import DomainError


class DomainErrorCommand(BaseCommand):
    """A command whose services' domain errors (``shop.errors``) become ``CommandError(message)``."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DomainError as error:
            raise CommandError(f"{error.message} ({error.code})") from error
