import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inservice.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Import the URL configuration (and with it every view, form and service module) and
    load the translations now, when a web worker starts, rather than in its first request:
    after a restart, every worker's first request would otherwise pay for it, all at once
    in a busy hour."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 — imports the URLconf and its views
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("")


# The young generation is collected every this many allocations (Python's default: 700).
GC_THRESHOLD = (10_000, 10, 10)


def _settle_collector() -> None:
    """What a worker has loaded by now (modules, URL patterns, catalogs: some 300,000
    objects) lives as long as it does, so `gc.freeze` takes it out of every later
    collection; and a request allocates thousands of short-lived objects, which reference
    counting frees, so the young generation is collected less often. With Python's defaults
    the collector took 0.5–0.7 ms of each registration in a burst, mostly walking the
    loaded modules' objects; 0.1–0.2 ms now (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


_warm_up()
_settle_collector()
