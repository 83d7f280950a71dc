"""Scheduled jobs of the attendance app (Huey; only one consumer runs periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.closing import remind_overdue_lists


# Huey evaluates schedules in UTC: 00:45 UTC is 08:45 in Taipei, at the start of the day.
@db_periodic_task(crontab(hour="0", minute="45"))
def remind_overdue_attendance_daily():
    """Remind units of lists not submitted within a week after the course ended (附件九
    第12條第2款); each course at most once every few days (services/closing.py)."""
    return remind_overdue_lists()
