"""manage.py anonymise_leaver <username>: a creator or brand user has left; anonymise their account."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacy.services.leavers import anonymise_leaver


class Command(BaseCommand):
    help = "Anonymise a creator's or brand user's account (ledger rows stay)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}. (not_found)")
        done = anonymise_leaver(user)
        self.stdout.write(f"user {user.pk}: {'anonymised' if done else 'already anonymised'}")
