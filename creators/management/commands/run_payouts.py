from django.core.management.base import BaseCommand

from creators.services.payouts import run_payouts


class Command(BaseCommand):
    help = "Pay every connected creator whose locked balance reaches KOLSHOP_PAYOUT_THRESHOLD."

    def handle(self, *args, **options):
        run = run_payouts()
        for payout in run.payouts.order_by("pk"):
            self.stdout.write(f"{payout.creator_id}: {payout.amount} {payout.currency} {payout.status}")
        self.stdout.write(f"Payout run {run.pk}: {run.payouts.count()} payouts.")
