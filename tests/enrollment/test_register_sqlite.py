"""Registration on SQLite (as `make run` uses), in a fresh process with its own database."""

from tests.sqlite_probe import run_sqlite_probe


def test_register_works_on_sqlite(tmp_path):
    out = run_sqlite_probe("tests/enrollment/register_sqlite_probe.py", tmp_path)
    assert out["vendor"] == "sqlite"
    assert out["locations"] == [True, True]
    assert out["statuses"] == ["admitted", "waitlisted"]
    assert out["warned"] == [[True, False], [False, True]]  # both, in queue order
    assert out["executes"] == []  # no server-side prepared statements outside PostgreSQL
