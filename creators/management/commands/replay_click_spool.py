"""Hand on the click batches spooled on this machine while Redis and the database were both down
(``creators.services.click_spool``): run it after the machine restarts, before or beside the web processes,
which otherwise replay them themselves once a send succeeds."""

from django.core.management.base import BaseCommand

from creators.services.links import replay_spooled_clicks


class Command(BaseCommand):
    help = "Replay click batches spooled during a Redis and database outage (KOLSHOP_CLICK_SPOOL_DIR)."

    def handle(self, *args, **options):
        self.stdout.write(f"Replayed {replay_spooled_clicks()} spooled clicks.")
