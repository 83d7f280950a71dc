"""Runs a probe script in a process of its own (settings are read once per process, so a
different database or configuration needs a new one) and returns the JSON it prints last.
`run_sqlite_probe` gives it a fresh SQLite file: the `make run` database."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_probe(script, *, drop=(), timeout=300, **env) -> dict:
    """`script` run with this environment, less the variables in `drop`, plus `env`."""
    environment = {key: value for key, value in os.environ.items() if key not in drop}
    environment.update(env)
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(script)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_sqlite_probe(script: str, tmp_path) -> dict:
    return run_probe(
        script,
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        INSERVICE_TESTING="1",
        INSERVICE_ALLOW_SQLITE_TESTS="1",
        DJANGO_SETTINGS_MODULE="inservice.settings_test",
    )
