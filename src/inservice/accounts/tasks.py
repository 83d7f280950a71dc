"""Scheduled jobs of the accounts app (Huey; only one consumer runs periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.staff import sweep_idle_staff_accounts


# Huey evaluates schedules in UTC: 01:20 UTC is 09:20 in Taipei, so warnings arrive at the
# start of the working day.
@db_periodic_task(crontab(hour="1", minute="20"))
def sweep_idle_staff_accounts_daily():
    """附件九 第4條: warn, then deactivate, staff accounts idle for two years."""
    return sweep_idle_staff_accounts()
