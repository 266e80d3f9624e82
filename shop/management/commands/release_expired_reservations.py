from shop.management.base import DomainErrorCommand
from shop.services.expiry import release_expired_reservations


class Command(DomainErrorCommand):
    help = "Cancel pending orders whose stock reservation has expired (run every minute from cron)."

    def handle(self, *args, **options):
        count = release_expired_reservations()
        self.stdout.write(f"Expired {count} pending orders.")
