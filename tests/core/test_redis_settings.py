"""The deployment's Redis configuration (docs/deployment.md: REDIS_URL) really works: the
client library is installed, the cache, the job queue and the session engine use the server."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.sqlite_probe import ROOT, run_probe

PROBE = Path(__file__).with_name("redis_probe.py")


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: scripts/bootstrap.sh installs it for the tests"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(  # noqa: S603
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def _probe(tmp_path, **env) -> dict:
    return run_probe(
        PROBE,
        drop={"REDIS_URL", "CACHE_URL", "SESSION_ENGINE", "SEARCH_CACHE_SECONDS"},
        timeout=120,
        DJANGO_SETTINGS_MODULE="inservice.settings",
        INSERVICE_TESTING="1",
        HUEY_IMMEDIATE="0",
        INSERVICE_VAR_DIR=str(tmp_path),
        INSERVICE_ENV_FILE="/dev/null",
        PYTHONPATH=str(ROOT / "src"),
        **env,
    )


def test_with_redis_the_cache_queue_and_sessions_use_it(redis_url, tmp_path):
    out = _probe(tmp_path, REDIS_URL=redis_url)
    assert out["cache"] == "inservice.core.cache.RedisCache"
    assert out["cache_roundtrip"] == {"教師": 1}
    assert out["same_client"] is True
    assert out["add"] == [True, False]
    assert out["incr"] == 2
    assert out["get_many"] == {"probe:a": "甲", "probe:b": "乙"}
    assert out["deleted"] == [True, "gone"]
    assert out["huey"] == "RedisHuey"
    assert out["pending"] == 1
    assert out["dequeued_args"] == ["研習"]
    # Read through the shared cache, written to PostgreSQL.
    assert out["session_engine"] == "django.contrib.sessions.backends.cached_db"
    # Public search results are kept in it (search/results_cache.py).
    assert out["search_cache_seconds"] == 300


def test_without_redis_sessions_stay_in_the_database(tmp_path):
    out = _probe(tmp_path)
    assert out["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert out["huey"] == "SqliteHuey"
    # A per-process cache would keep a logged-out session alive in the other processes.
    assert out["session_engine"] == "django.contrib.sessions.backends.db"
    assert out["search_cache_seconds"] == 0
