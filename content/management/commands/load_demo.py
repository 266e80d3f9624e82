import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.demo import DemoUnavailable, load_demo


@contextmanager
def quiet(*logger_names: str):
    """The demo's sales go through the real checkout, which logs every order event: keep the output to the summary."""
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Load kolshop's demo data (brands, 50 products, 3 creators, guides, a live session). Safe to run twice."

    def handle(self, *args, **options):
        try:
            with quiet("shop", "creators", "content", "media"):
                summary = load_demo()
        except DemoUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary.products} products, {summary.guides} new pages, {summary.sales} new sales."))
        site = settings.KOLSHOP_SITE_URL.rstrip("/")
        self.stdout.write(f"kolshop is at {site}/  (admin: {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/)")
        self.stdout.write(f"Logins ({settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/):")
        for login in summary.logins:
            self.stdout.write(f"  {login.role:<24} {login.username:<10} / {login.password}")
