"""Placeholder; the teacher work replaces it."""

from django.http import HttpResponse

from inservice.core.access import public


@public
def signup(request):
    return HttpResponse("signup")
