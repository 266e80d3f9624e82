from creators.services.payouts import run_payouts
from shop.management.base import DomainErrorCommand


class Command(DomainErrorCommand):
    help = "Pay every connected creator whose locked balance reaches KOLSHOP_PAYOUT_THRESHOLD."

    def handle(self, *args, **options):
        run = run_payouts()
        for payout in run.payouts.order_by("pk"):
            self.stdout.write(f"{payout.creator_id}: {payout.amount} {payout.currency} {payout.status}")
        self.stdout.write(f"Payout run {run.pk}: {run.payouts.count()} payouts.")
