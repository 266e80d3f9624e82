from django_tasks import task

from creators.reports.rollup import roll_up


@task()
def roll_up_daily_performance() -> list[str]:
    """Scheduled (e.g. hourly): bring the brand-report rollup up to yesterday."""
    return [day.isoformat() for day in roll_up().days_rebuilt]
