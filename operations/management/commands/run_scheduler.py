import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from operations.scheduler import run_due_jobs, scheduled_jobs


class Command(BaseCommand):
    help = "Enqueue the periodic jobs of settings.KOLSHOP_SCHEDULE as they fall due (run one or more replicas)."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between checks (default 5).")
        parser.add_argument("--once", action="store_true", help="Check once (the last minute) and exit.")

    def handle(self, *args, tick: float, once: bool, **options):
        for job in scheduled_jobs():
            self.stdout.write(f"{job.name}: '{job.cron}' -> {job.task_path}")
        checked_until = timezone.now() - timedelta(minutes=1)
        while True:
            now = timezone.now()
            for name, due_at in run_due_jobs(after=checked_until, until=now):
                self.stdout.write(f"enqueued {name} due {due_at.isoformat()}")
            checked_until = now
            if once:
                return
            time.sleep(tick)
