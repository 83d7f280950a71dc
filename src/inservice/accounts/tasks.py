"""Scheduled jobs of the accounts app (Huey; only one consumer runs periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.staff import sweep_idle_staff_accounts


@db_periodic_task(crontab(hour="3", minute="20"))
def sweep_idle_staff_accounts_daily():
    """附件九 第4條: warn, then deactivate, staff accounts idle for two years."""
    return sweep_idle_staff_accounts()
