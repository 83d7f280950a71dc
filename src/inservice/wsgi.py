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


_warm_up()
