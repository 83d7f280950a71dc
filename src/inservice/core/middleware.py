"""Keeps the current request's actor and client address where services can find them.

Services record audit events without being handed the request, so the client address and
user agent travel in a context variable set here.
"""

import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


@dataclass(frozen=True)
class RequestInfo:
    ip: str | None = None
    user_agent: str = ""


_EMPTY = RequestInfo()
_current: ContextVar[RequestInfo | None] = ContextVar("inservice_request", default=None)


def current_request_info() -> RequestInfo:
    return _current.get() or _EMPTY


def client_ip(request) -> str | None:
    # Same source of truth as django-axes, so audit and lock-out agree on the address.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(
            RequestInfo(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


class SiteLanguageMiddleware:
    """Traditional Chinese unless the visitor chose another language with the switch.

    Browser Accept-Language headers are ignored on purpose: a national service answers in
    zh-Hant by default, and the language switch (a cookie) is the only way to change it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supported = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Cookie",))
        return response


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time the request spent inside
    Django (every other middleware and the view), for `make bench` and browser devtools.

    It reveals only a duration, no names or queries. Outermost in MIDDLEWARE so the figure
    covers the whole stack; a streamed response reports the time to its first byte.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return response
