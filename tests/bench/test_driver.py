"""make bench's pure parts: percentile maths, the committed query mix (every URL answers 200
on a small dataset), pgbench's report parsed, the Markdown table rendered. No figures are
asserted and nothing here starts gunicorn."""

import datetime

import pytest

from bench import httpload, report, run, stats


def test_percentiles_interpolate_between_ranks():
    ten = list(range(1, 11))
    assert stats.percentile(ten, 0) == 1
    assert stats.percentile(ten, 50) == 5.5
    assert stats.percentile(ten, 95) == pytest.approx(9.55)
    assert stats.percentile(ten, 99) == pytest.approx(9.91)
    assert stats.percentile(ten, 100) == 10
    assert stats.percentile([7], 99) == 7
    assert stats.percentile([3, 1, 2], 50) == 2  # order does not matter
    assert stats.percentile([], 50) is None
    with pytest.raises(ValueError):
        stats.percentile(ten, 101)


def test_summary_and_ratio():
    out = stats.summary([10.0, 20.0, 30.0, 40.0], seconds=2.0)
    assert out == {
        "count": 4, "p50": 25.0, "p95": 38.5, "p99": 39.7, "mean": 25.0, "max": 40.0,
        "per_s": 2.0,
    }  # fmt: skip
    assert stats.summary([])["p95"] is None
    assert stats.ratio(30, 10) == 3.0
    assert stats.ratio(None, 10) is None and stats.ratio(5, 0) is None


def test_server_timing_header_is_read():
    assert stats.server_ms("app;dur=12.5") == 12.5
    assert stats.server_ms("db;dur=3, app;desc=x;dur=7") == 7.0
    assert stats.server_ms("db;dur=3") is None
    assert stats.server_ms(None) is None
    assert stats.server_ms("app;dur=x") is None


def test_the_query_mix_covers_what_the_issue_asks_for():
    today = datetime.date(2026, 3, 1)
    mix = run.load_mix(today=today)
    assert len({q["name"] for q in mix}) == len(mix)
    classes = {run.keyword_length_class(q["params"]) for q in mix}
    assert {"kw1", "kw2", "kw3", "kw4+", "none"} <= classes
    params = [q["params"] for q in mix]
    assert any(p.get("open") == "on" for p in params)
    assert any("q" in p and len(p) > 1 for p in params)  # keyword with filters
    assert any(q["path"].startswith("/courses/county/") for q in mix)
    assert any(int(p.get("page", 1)) >= 50 for p in params)
    dated = next(q for q in mix if "from" in q["params"])
    assert dated["params"]["from"] == "2026-03-01" and dated["params"]["to"] == "2026-04-30"
    assert all(q["weight"] > 0 for q in mix)


def test_date_tokens():
    day = datetime.date(2026, 1, 31)
    assert run.expand("{today}", day) == "2026-01-31"
    assert run.expand("{today+1}", day) == "2026-02-01"
    assert run.expand("{today-31}", day) == "2025-12-31"
    assert run.expand("數學", day) == "數學"


def test_urls_are_encoded_like_a_browser():
    url = httpload.build_path("/courses/", {"q": "數學", "stage": ["14-4", "14-3"]})
    assert url == "/courses/?q=%E6%95%B8%E5%AD%B8&stage=14-4&stage=14-3"
    assert httpload.build_path("/courses/county/63000/", {}) == "/courses/county/63000/"


def test_http_response_parsing():
    raw = (
        b"HTTP/1.1 302 Found\r\nLocation: /my/registrations/7/\r\nServer-Timing: app;dur=4.2\r\n"
        b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nbody"
    )
    status, headers, body = httpload._parse(raw)
    assert status == 302 and body == b"body"
    assert headers["location"] == "/my/registrations/7/"
    assert stats.server_ms(headers["server-timing"]) == 4.2
    assert headers["set-cookie"] == "a=1, b=2"


PGBENCH_OUTPUT = """\
transaction type: /tmp/x.sql
scaling factor: 1
query mode: simple
number of clients: 5
number of threads: 2
maximum number of tries: 1
number of transactions per client: 400
number of transactions actually processed: 2000/2000
number of failed transactions: 0 (0.000%)
latency average = 3.041 ms
initial connection time = 9.106 ms
tps = 1644.103410 (without initial connection time)
"""


def test_pgbench_report_is_parsed():
    assert run.parse_pgbench(PGBENCH_OUTPUT) == {
        "tps": 1644.1,
        "latency_avg_ms": 3.041,
        "transactions": 2000,
        "failed": 0,
    }


def test_the_markdown_table_renders_a_result():
    sample = {"count": 3, "p50": 1.0, "p95": 2.0, "p99": 2.0, "mean": 1.5, "max": 2.0}
    results = {
        "date": "2026-03-01",
        "scale": "tiny",
        "seed": 1,
        "commit": "abc",
        "workers": 5,
        "seconds": 1.0,
        "machine": {"cores": 2, "memory_gb": 4.0, "cpu": "x"},
        "dataset": {"courses": 10},
        "failures": [],
        "search": {
            "queries": [
                {
                    "name": "kw1", "url": "/courses/?q=a", "keyword": "kw1", "results": 3,
                    "queries": 2, "client_ms": sample, "server_ms": sample, "sql_ms": sample,
                    "server_over_sql_p50": 1.0, "server_ms_under_load": sample,
                    "server_ms_cold": {**sample, "p95": 30.0}, "cold_over_sql_p50": 1.0,
                    "server_ms_changed": {**sample, "p95": 40.0},
                    "server_ms_fresh": {**sample, "p95": 60.0}, "fresh_over_sql_p50": 1.0,
                }
            ],
            "server_ms_p95_worst": 2.0,
            "server_ms_p95_worst_query": "kw1",
            "kept_results_seconds": 300,
            "cold_ms_p95_worst": 30.0,
            "cold_ms_p95_worst_query": "kw1",
            "changed_ms_p95_worst": 40.0,
            "changed_ms_p95_worst_query": "kw1",
            "fresh_ms_p95_worst": 60.0,
            "fresh_ms_p95_worst_query": "kw1",
            "load": {"concurrency": 2, "seconds": 1.0, "client_ms": {**sample, "per_s": 3.0},
                     "server_ms": sample},
        },
        "registration": {
            "clients": 3, "seats": 1, "seconds": 1.0, "client_ms": sample, "throughput_per_s": 3.0,
            "admitted": 1, "waitlisted": 2, "refused": 0, "status_codes": {"302": 3},
            "pgbench": {"clients": 5, "tps": 100.0}, "app_over_pgbench": 0.03,
            "logged_in_floor": {**sample, "per_s": 12.0, "p99": 7.0},
        },
        "closing": {"attendees": 5, "with_recent_records": 1, "submit_s": 0.1,
                    "confirm_and_close_s": 0.2, "total_s": 0.3, "records": 5},
    }  # fmt: skip
    text = report.markdown(results)
    assert "| kw1 | kw1 | 3 |" in text
    assert "all passed" in text and "registration burst p99" in text
    # Kept results do not hide the computed ones: their worst p95 is a target row of its own,
    # after a publication, after a course's change and with nothing kept.
    assert (
        "| the same, results computed after a new course's publication | ≤ 50 ms | 30.0 ms" in text
    )
    changed = "| the same, computed after a course's change or cancellation | ≤ 50 ms | 40.0 ms"
    assert f"{changed} (worst: kw1) | met |" in text
    fresh = "| the same, computed with nothing kept (after a rebuild) | ≤ 50 ms | 60.0 ms"
    assert f"{fresh} (worst: kw1) | **missed** |" in text
    assert "| kw1 | kw1 | 3 | 2 | 1.0 | 2.0 | 2.0 | 1.0 | 30.0 | 40.0 | 60.0 |" in text
    assert "kept in the shared cache for 300 s" in text
    # The registrations beside what the same burst costs when it does nothing.
    assert "does nothing (the login page redirecting): throughput, p99 | 12.0/s, 7.0 ms |" in text
    results["failures"] = ["overbooking: 2 admitted for 1 seats"]
    assert "FAILED" in report.markdown(results)


@pytest.mark.django_db
def test_every_url_of_the_mix_answers_200_on_a_small_dataset(
    client, django_capture_on_commit_callbacks
):
    from inservice.organizations.models import County
    from tests.factories import UnitFactory, make_course, open_course

    taipei = UnitFactory(county=County.objects.get(code="63000"))
    new_taipei = UnitFactory(county=County.objects.get(code="65000"))
    with django_capture_on_commit_callbacks(execute=True):
        make_course(taipei, approve=True, name="數學領域差異化教學工作坊")
        make_course(new_taipei, approve=True, name="英語教學與閱讀理解策略")
        open_course(new_taipei, name="性平教育素養導向評量研習")
    counts = {}
    for query in run.load_mix():
        response = client.get(query["url"])
        assert response.status_code == 200, query["name"]
        assert "條件無法辨識" not in response.content.decode(), query["name"]
        counts[query["name"]] = run.result_count(response.content)
    assert counts["kw2-數學"] == 1 and counts["no-filter"] == 3
    assert all(isinstance(n, int) for n in counts.values())


def test_a_crashing_phase_is_a_failed_check_and_the_run_goes_on(tmp_path, monkeypatch):
    from bench.run import Run, parse_args

    monkeypatch.setenv("INSERVICE_VAR_DIR", str(tmp_path))
    run = Run(parse_args([]))
    ran = []

    def crash():
        raise RuntimeError("duplicate key")

    run._run_phase("registration", crash)
    run._run_phase("records", lambda: ran.append("records"))
    assert run.failures == ["registration: the phase crashed: RuntimeError: duplicate key"]
    assert ran == ["records"]
