"""Server-Timing: every response says how long Django spent on it (make bench reads it)."""

import re

import pytest

from inservice.core.middleware import ServerTimingMiddleware

TIMING = re.compile(r"^app;dur=\d+\.\d$")


@pytest.mark.django_db
def test_every_response_carries_the_app_duration(client):
    for url in ("/", "/courses/?q=數學", "/no-such-page/"):
        response = client.get(url)
        assert TIMING.match(response["Server-Timing"]), (url, response["Server-Timing"])


def test_the_duration_covers_the_view(rf):
    import time

    from django.http import HttpResponse

    def slow_view(request):
        time.sleep(0.02)
        return HttpResponse("ok")

    response = ServerTimingMiddleware(slow_view)(rf.get("/"))
    assert float(response["Server-Timing"].split("=")[1]) >= 20.0


def test_it_is_the_outermost_middleware(settings):
    assert settings.MIDDLEWARE[0] == "inservice.core.middleware.ServerTimingMiddleware"
