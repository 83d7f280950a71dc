"""The portable path: the same search service on SQLite (as `make run` uses), in a fresh
process with its own database file, through the real services and signals."""

from tests.sqlite_probe import run_sqlite_probe


def test_search_works_on_sqlite(tmp_path):
    out = run_sqlite_probe("tests/search/sqlite_probe.py", tmp_path)
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
    assert out["rows_equal"] is True  # the page's own SQL reads the same values
    assert out["pages"] == [200, 200, 200]  # `make run` serves the search pages
