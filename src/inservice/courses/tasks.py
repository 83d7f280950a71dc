"""Scheduled jobs of the courses app (Huey; only one consumer runs periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.review import report_overdue_reviews


# Huey evaluates schedules in UTC: 00:30 UTC is 08:30 in Taipei, before the working day.
@db_periodic_task(crontab(hour="0", minute="30"))
def report_overdue_reviews_daily():
    """Tell each center's chief which reviews wait over 3 working days or start within a week,
    so no course sits unreviewed until its start date (附件九 第11條第8款, 第12條)."""
    return report_overdue_reviews()
