"""A web worker is ready when the WSGI module is imported (gunicorn imports it in every
worker before it accepts a request): its first request does not import the site's views or
read the translation catalogs, and the collector leaves what it loaded alone."""

from pathlib import Path

from tests.sqlite_probe import run_sqlite_probe

PROBE = Path(__file__).with_name("wsgi_probe.py")


def test_importing_the_wsgi_module_loads_the_urlconf_and_the_catalogs(tmp_path):
    loaded = run_sqlite_probe(PROBE, tmp_path)
    assert loaded["urlconf"] and loaded["views"]
    assert {"zh-hant", "en"} <= set(loaded["catalogs"])


def test_the_loaded_objects_are_out_of_the_collectors_way(tmp_path):
    """What the worker loaded is frozen (no collection walks it again) and the young
    generation is collected less often than Python's default (docs/performance.md)."""
    loaded = run_sqlite_probe(PROBE, tmp_path)
    assert loaded["frozen"] > 100_000
    assert loaded["threshold"] == [10_000, 10, 10]
