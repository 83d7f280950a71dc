"""The portable path: the same search service on SQLite (as `make run` uses), in a fresh
process with its own database file, through the real services and signals."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_search_works_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "INSERVICE_TESTING": "1",
        "INSERVICE_ALLOW_SQLITE_TESTS": "1",
        "DJANGO_SETTINGS_MODULE": "inservice.settings_test",
    }
    result = subprocess.run(
        [sys.executable, "tests/search/sqlite_probe.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["vendor"] == "sqlite"
    assert out["indexed"] == 4 and out["vector_null"] == 4
    assert out["數"] == ["數學素養導向課程設計"]
    assert out["性平"] == ["性平教育案例研討"]
    assert out["台"] == ["臺灣史地走讀"]
    assert out["素養導向"] == ["數學素養導向課程設計"]
    assert out["素養課程"] == []
    assert out["python 程式"] == ["Python 程式設計入門"]
    assert out["stage"] == 4 and out["stage_miss"] == []
    assert out["county"] == 4
    assert out["paged"] == [True, True, True, True]
