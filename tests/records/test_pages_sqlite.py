"""The record pages on SQLite (as `make run` uses): tag totals without jsonb, school years,
the export and the school page, in a fresh process with its own database file."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_record_pages_work_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "INSERVICE_TESTING": "1",
        "INSERVICE_ALLOW_SQLITE_TESTS": "1",
        "DJANGO_SETTINGS_MODULE": "inservice.settings_test",
    }
    result = subprocess.run(
        [sys.executable, "tests/records/pages_sqlite_probe.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["vendor"] == "sqlite"
    assert out["status"] == 200
    assert (out["hours"], out["withheld"]) == ("13", "1")
    assert out["by_sy"] == {"113": "10", "112": "3"}
    assert out["by_tag"] == {"gender-equality": "9", "international-education": "10"}
    assert len(out["tagged"]) == 2
    assert out["tagged_years"] == {"2025": "4", "2024": "6"}
    assert out["export"] == 200 and out["export_zip"] == "PK"
    assert out["unit_status"] == 200 and out["unit_hours"] == "10"
