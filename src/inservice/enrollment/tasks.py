"""Scheduled jobs of the enrollment app (Huey; only one consumer runs periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

# --- registration and lottery (registration area) ---------------------------------------------


@db_periodic_task(crontab(minute="*/5"))
def lottery_draws():
    """Commit seeds of lottery courses whose window opened (a safety net: the seed is normally
    committed when the organizer picks lottery mode) and draw those whose window has closed."""
    from .services import lottery

    return {"committed": lottery.commit_due_seeds(), "drawn": lottery.run_due_draws()}


# --- end of registration and lottery ----------------------------------------------------------


# --- favourites and saved searches (calendar & alerts area) ---------------------------------


@db_periodic_task(crontab(minute="*/10"))
def favourite_alerts():
    """收藏追蹤: mail when a starred course's registration opens, and when seats free up on a
    full course (see `services.alerts` for the once-per-freeing rule)."""
    from .services import alerts

    return alerts.send_favourite_alerts()


# Huey evaluates schedules in UTC: 23:00 UTC is 07:00 in Taipei, before the school day.
@db_periodic_task(crontab(hour="23", minute="0"))
def saved_search_digests():
    """研習訂閱: a daily digest of newly published courses matching each saved search."""
    from .services import alerts

    return alerts.send_search_digests()


# --- end of favourites and saved searches ------------------------------------------------------
