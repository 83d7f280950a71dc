"""Deny by default: every URL must lead to a view that declares who may use it."""

from django.urls import URLPattern, URLResolver, get_resolver

# Third-party views with their own protection: Django admin (staff login) and the captcha
# image endpoints (public by nature).
EXEMPT_NAMESPACES = {"admin", "captcha"}
EXEMPT_PREFIXES = ("admin/", "captcha/")


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXEMPT_NAMESPACES:
                continue
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_view_declares_its_access_policy():
    missing = [
        route
        for route, view in _walk(get_resolver())
        if not route.startswith(EXEMPT_PREFIXES)
        and not getattr(view, "access_policy", None)
        and not getattr(getattr(view, "view_class", None), "access_policy", None)
    ]
    assert missing == [], f"views without an access declaration: {missing}"


def test_walk_finds_views():
    routes = [r for r, _ in _walk(get_resolver())]
    assert "" in routes and len(routes) > 3
