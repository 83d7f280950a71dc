"""The record pages on SQLite (as `make run` uses): tag totals without jsonb, school years,
the export and the school page, in a fresh process with its own database file."""

from tests.sqlite_probe import run_sqlite_probe


def test_record_pages_work_on_sqlite(tmp_path):
    out = run_sqlite_probe("tests/records/pages_sqlite_probe.py", tmp_path)
    assert out["vendor"] == "sqlite"
    assert out["status"] == 200
    assert (out["hours"], out["withheld"]) == ("13", "1")
    assert out["by_sy"] == {"113": "10", "112": "3"}
    assert out["by_tag"] == {"gender-equality": "9", "international-education": "10"}
    assert len(out["tagged"]) == 2
    assert out["tagged_years"] == {"2025": "4", "2024": "6"}
    assert out["export"] == 200 and out["export_zip"] == "PK"
    assert out["unit_status"] == 200 and out["unit_hours"] == "10"
    # One grouped query over the tags gives what one filter per tag gave.
    assert out["by_tag_page"] == out["by_tag_filters"]
    assert out["by_tag_page"]["gender-equality"] == [2, "3"]  # the duplicate counted once
    assert out["by_tag_page"]["family-education"] == [2, "2"]
    assert set(out["by_tag_page"]) == {"gender-equality", "family-education", "digital-learning"}
