"""The `clicks` process: write queued clicks as they arrive (Procfile). Run several for more throughput;
each is a consumer of the same Redis consumer group, so a batch goes to exactly one of them."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from creators.services.click_drain import default_consumer, drain_clicks, retire_dead_consumers
from creators.services.click_queue import queue_enabled

# How often a running drainer takes over entries left pending by dead drainers, and retires those.
RECLAIM_SECONDS = 30
RETIRE_SECONDS = 60
# After a batch short of --batch-size, the drainer waits this long before reading again, so that under load a
# batch's fixed cost (a read, an INSERT, its commit, an acknowledgement) is shared by hundreds of clicks instead
# of a few: at 2,000 clicks/s a drainer reading at once wrote batches of ~5 and cost the database 120-150 µs of
# CPU per click. The clicks wait in Redis (durable); an order attributed to one writes it first.
LINGER_MS = 200


class Command(BaseCommand):
    help = "Write clicks queued by /r/<code>/ in batches (--once: until the queue is empty, then exit)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--once", action="store_true", help="drain what is queued and exit")
        parser.add_argument("--linger-ms", type=int, default=LINGER_MS,
                            help="after a batch short of --batch-size, wait this long before reading again")

    def handle(self, *args, batch_size: int, once: bool, linger_ms: int, **options):
        if not queue_enabled():
            self.stdout.write("No REDIS_URL: clicks are written inline, nothing to drain.")
            return
        consumer = default_consumer()
        written = 0
        reclaimed_at = retired_at = float("-inf")
        while True:
            close_old_connections()  # a long-lived process: drop a connection the database closed
            now = time.monotonic()
            if now - retired_at >= RETIRE_SECONDS:
                written += retire_dead_consumers(consumer=consumer, batch_size=batch_size)
                retired_at = now
            reclaim = now - reclaimed_at >= RECLAIM_SECONDS
            handled = drain_clicks(consumer=consumer, batch_size=batch_size, block_ms=None if once else 1000,
                                   reclaim=reclaim or once)
            reclaimed_at = now if reclaim else reclaimed_at
            written += handled
            if once and handled == 0:
                break
            if not once and 0 < handled < batch_size and linger_ms > 0:
                time.sleep(linger_ms / 1000)
        self.stdout.write(f"Drained {written} clicks.")
