"""Runs a probe script on a fresh SQLite file in its own process (the `make run` database),
and returns the JSON it prints last."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_sqlite_probe(script: str, tmp_path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "INSERVICE_TESTING": "1",
        "INSERVICE_ALLOW_SQLITE_TESTS": "1",
        "DJANGO_SETTINGS_MODULE": "inservice.settings_test",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
