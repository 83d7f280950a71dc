"""A web worker is ready when the WSGI module is imported (gunicorn imports it in every
worker before it accepts a request): its first request does not import the site's views or
read the translation catalogs."""

from pathlib import Path

from tests.sqlite_probe import run_sqlite_probe

PROBE = Path(__file__).with_name("wsgi_probe.py")


def test_importing_the_wsgi_module_loads_the_urlconf_and_the_catalogs(tmp_path):
    loaded = run_sqlite_probe(PROBE, tmp_path)
    assert loaded["urlconf"] and loaded["views"]
    assert {"zh-hant", "en"} <= set(loaded["catalogs"])
