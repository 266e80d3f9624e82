from shop.management.base import DomainErrorCommand
from shop.services.automatic_refunds import retry_failed_refunds


class Command(DomainErrorCommand):
    help = "Try failed automatic refunds again (from cron, where no task worker runs the deferred retries)."

    def handle(self, *args, **options):
        outcomes = retry_failed_refunds()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "nothing to retry"
        self.stdout.write(f"Failed automatic refunds: {summary}.")
