from creators.services.ledger import lock_matured_commissions
from shop.management.base import DomainErrorCommand


class Command(DomainErrorCommand):
    help = "Lock the pending commission of lines paid more than the return window ago (run daily)."

    def handle(self, *args, **options):
        locked = lock_matured_commissions()
        self.stdout.write(f"Locked commission on {locked} order lines.")
