from django.core.management.base import BaseCommand

from creators.services.ledger import lock_matured_commissions


class Command(BaseCommand):
    help = "Lock the pending commission of lines paid more than the return window ago (run daily)."

    def handle(self, *args, **options):
        locked = lock_matured_commissions()
        self.stdout.write(f"Locked commission on {locked} order lines.")
