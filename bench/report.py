"""The Markdown table of a `make bench` run (bench/results/<date>-<scale>.md)."""

from __future__ import annotations


def _f(value, unit: str = "", digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None and isinstance(value, (int, float)):
        value = f"{value:,.{digits}f}"
    elif isinstance(value, float):
        value = f"{value:,.1f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _server_error(status: str) -> bool:
    return int(status) == 0 or int(status) >= 500


def _mark(ok) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def targets(results: dict) -> list[tuple[str, str, str, str]]:
    """(target, threshold, measured, met?) for the issue's national-scale targets."""
    rows = []
    search = results.get("search")
    if search:
        worst = search.get("server_ms_p95_worst")
        rows.append(
            (
                "search p95 server time, every query",
                "≤ 50 ms",
                f"{_f(worst, ' ms')} (worst: {search.get('server_ms_p95_worst_query')})",
                _mark(worst is not None and worst <= 50),
            )
        )
        for key, label in (
            ("cold", "the same, results computed after a new course's publication"),
            ("changed", "the same, computed after a course's change or cancellation"),
            ("fresh", "the same, computed with nothing kept (after a rebuild)"),
        ):
            worst = search.get(f"{key}_ms_p95_worst")
            if worst is not None:
                rows.append(
                    (
                        label,
                        "≤ 50 ms",
                        f"{_f(worst, ' ms')} (worst: {search.get(f'{key}_ms_p95_worst_query')})",
                        _mark(worst <= 50),
                    )
                )
        rate = search["load"]["client_ms"].get("per_s")
        rows.append(("searches per second", "≥ 300/s", _f(rate, "/s"), _mark(rate and rate >= 300)))
    reg = results.get("registration")
    if reg:
        p99 = reg["client_ms"].get("p99")
        rows.append(
            (
                "registration burst: overbooking, server errors",
                "0, 0",
                f"{max(reg['admitted'] - reg['seats'], 0)}, "
                f"{sum(v for k, v in reg['status_codes'].items() if _server_error(k))}",
                _mark(
                    reg["admitted"] <= reg["seats"]
                    and not any(_server_error(k) for k in reg["status_codes"])
                ),
            )
        )
        rows.append(("registration burst p99", "≤ 1 s", _f(p99, " ms"), _mark(p99 and p99 <= 1000)))
        share = reg.get("app_over_pgbench")
        rows.append(
            (
                "registration throughput ÷ pgbench",
                "≥ 0.1",
                _f(share, digits=3),
                _mark(share is not None and share >= 0.1),
            )
        )
    upload = results.get("upload")
    if upload:
        rate = upload.get("rows_per_s")
        rows.append(
            ("attendance upload", "≥ 20,000 rows/s", _f(rate, "/s"), _mark(rate and rate >= 20000))
        )
        growth = upload.get("peak_growth_mb_10x_rows")
        rows.append(
            (
                "upload memory (peak growth from 1/10 of the rows to all)",
                "not growing with the file",
                _f(growth, " MB"),
                "—",
            )
        )
    rec = results.get("records")
    if rec and rec.get("page"):
        p95 = rec["page"]["server_ms"].get("p95")
        rows.append(
            (
                "teacher records page p95 (server)",
                "≤ 50 ms",
                _f(p95, " ms"),
                _mark(p95 and p95 <= 50),
            )
        )
    close = results.get("closing")
    if close:
        total = close.get("total_s")
        rows.append(
            (
                f"closing a {close['attendees']}-attendee course",
                "≤ 2 s",
                _f(total, " s", 2),
                _mark(total is not None and total <= 2),
            )
        )
    return rows


def markdown(results: dict) -> str:
    m = results.get("machine", {})
    d = results.get("dataset", {})
    lines = [
        f"# make bench — {results['date']}, scale `{results['scale']}`",
        "",
        f"Machine: {m.get('cores')} cores ({m.get('cpu')}), {m.get('memory_gb')} GB memory, "
        f"Linux {m.get('kernel')}, Python {m.get('python')}, PostgreSQL {d.get('postgresql')}. "
        f"Commit `{results.get('commit')}`, seed {results.get('seed')}, "
        f"gunicorn {results.get('workers')} sync workers. Run took {results.get('seconds')} s.",
        "",
        "Dataset (planner estimates): "
        + ", ".join(
            f"{k.replace('_', ' ')} {_f(d.get(k))}"
            for k in (
                "units",
                "teachers",
                "courses",
                "search_entries",
                "registrations",
                "training_records",
            )
        )
        + f"; database {d.get('database_size')}.",
        "",
    ]
    failures = results.get("failures") or []
    lines += ["**Correctness checks: " + ("all passed**" if not failures else "FAILED**"), ""]
    lines += [f"- {f}" for f in failures]
    if failures:
        lines.append("")
    rows = targets(results)
    if rows:
        lines += [
            "## Against the targets (set for `national` scale)",
            "",
            "| target | threshold | measured | |",
            "|---|---|---|---|",
        ]
        lines += [f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows]
        lines.append("")
    search = results.get("search")
    if search:
        load = search["load"]
        lines += [
            "## Search",
            "",
            "Each query alone (one request at a time); server = the app's Server-Timing; cold = "
            "server time with the results computed, each request after the search table's "
            "generation was replaced as a new course's publication replaces it (a count well "
            "above the cap outlives it); changed = the same as one course's change or "
            "cancellation replaces it (that count outlives it too); fresh = the same after a "
            "write of unknown extent, a rebuild (nothing kept) "
            "(search results are kept in the shared cache for "
            f"{search.get('kept_results_seconds', 0)} s, docs/search.md); SQL = the statements "
            "the page runs when it computes them, timed directly on the database; under load = "
            f"server time during the throughput run ({load['concurrency']} clients).",
            "",
            "| query | keyword | results | SQL stmts | server p50 | p95 | p99 | cold p50 "
            "| cold p95 | changed p95 | fresh p95 | client p95 | SQL p50 | fresh ÷ SQL "
            "| p95 under load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for q in search["queries"]:
            s = q["server_ms"]
            cold = q.get("server_ms_cold") or {}
            fresh = q.get("server_ms_fresh") or {}
            changed = q.get("server_ms_changed") or {}
            lines.append(
                f"| {q['name']} | {q['keyword']} | {_f(q['results'])} | {q['queries']} "
                f"| {_f(s['p50'])} | {_f(s['p95'])} | {_f(s['p99'])} | {_f(cold.get('p50'))} "
                f"| {_f(cold.get('p95'))} | {_f(changed.get('p95'))} | {_f(fresh.get('p95'))} "
                f"| {_f(q['client_ms']['p95'])} "
                f"| {_f(q['sql_ms']['p50'])} "
                f"| {_f(q.get('fresh_over_sql_p50', q.get('cold_over_sql_p50')))} "
                f"| {_f(q['server_ms_under_load']['p95'])} |"
            )
        c = load["client_ms"]
        lines += [
            "",
            f"Throughput: **{_f(c.get('per_s'))} searches/s** with {load['concurrency']} clients "
            f"for {load['seconds']} s ({c['count']:,} requests); client latency p50 "
            f"{_f(c['p50'])} ms, p95 {_f(c['p95'])} ms, p99 {_f(c['p99'])} ms; server p95 "
            f"{_f(load['server_ms']['p95'])} ms. Times in milliseconds.",
            "",
        ]
    reg = results.get("registration")
    if reg:
        c = reg["client_ms"]
        p = reg.get("pgbench", {})
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(reg["status_codes"].items()))
        lines += [
            "## Registration burst",
            "",
            f"{reg['clients']:,} logged-in teachers POST the registration of one course with "
            f"{reg['seats']} seats at the same moment.",
            "",
            "| | value |",
            "|---|---:|",
            f"| wall time until the last answer | {_f(reg['seconds'])} s |",
            f"| throughput | {_f(reg['throughput_per_s'])} registrations/s |",
            f"| latency p50 / p95 / p99 | {_f(c['p50'])} / {_f(c['p95'])} / {_f(c['p99'])} ms |",
            f"| admitted / waitlisted / refused | {reg['admitted']} / {reg['waitlisted']} / "
            f"{reg['refused']} |",
            f"| HTTP status counts | {codes} |",
            f"| pgbench (lock one row + insert, {p.get('clients')} clients) "
            f"| {_f(p.get('tps'))} tps, {_f(p.get('latency_avg_ms'))} ms average |",
            f"| app ÷ pgbench | {_f(reg.get('app_over_pgbench'), digits=3)} |",
        ]
        floor = reg.get("logged_in_floor")
        if floor:
            lines.append(
                "| for comparison, the same burst of a logged-in request that does nothing "
                f"(the login page redirecting): throughput, p99 | {_f(floor.get('per_s'))}/s, "
                f"{_f(floor.get('p99'))} ms |"
            )
        lines.append("")
    upload = results.get("upload")
    if upload:
        f, s, cp = upload.get("file", {}), upload.get("small_file", {}), upload.get("copy", {})
        lines += [
            "## Attendance upload",
            "",
            "| | rows | seconds | rows/s | peak RSS |",
            "|---|---:|---:|---:|---:|",
            f"| upload service (own process) | {_f(f.get('rows'))} | {_f(f.get('seconds'))} "
            f"| {_f(f.get('rows_per_s'))} | {_f((f.get('peak_rss_kb') or 0) / 1024, ' MB')} |",
            f"| same, a tenth of the rows | {_f(s.get('rows'))} | {_f(s.get('seconds'))} "
            f"| {_f(s.get('rows_per_s'))} | {_f((s.get('peak_rss_kb') or 0) / 1024, ' MB')} |",
            f"| raw COPY of the same rows | {_f(upload['rows'])} | {_f(cp.get('seconds'))} "
            f"| {_f(cp.get('rows_per_s'))} | |",
            "",
            f"Upload ÷ COPY: {_f(upload.get('app_over_copy'), digits=3)}. Peak memory grows "
            f"{_f(upload.get('peak_growth_mb_10x_rows'), ' MB')} from a tenth of the rows to all "
            "of them.",
            "",
        ]
    rec = results.get("records")
    if rec and rec.get("page"):
        lines += [
            "## Teacher records",
            "",
            f"Teacher `{rec['teacher']}`: {_f(rec['records'])} records over {rec['years']} years.",
            "",
            "| page | requests | server p50 | server p95 | client p95 | size |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, label in (
            ("page", "/my/records/"),
            ("page_filtered", "/my/records/?source=online&sort=hours"),
            ("transcript_issue", "/my/records/transcript.pdf (issue)"),
        ):
            r = rec.get(name)
            if r:
                lines.append(
                    f"| {label} | {r['client_ms']['count']} | {_f(r['server_ms']['p50'])} ms "
                    f"| {_f(r['server_ms']['p95'])} ms | {_f(r['client_ms']['p95'])} ms "
                    f"| {_f((r['bytes'] or 0) // 1024, ' KiB')} |"
                )
        render = rec.get("transcript_pdf_render")
        if render and render["ms"]["count"]:
            lines.append(
                f"| transcript PDF rendering (background job, {render['rows']} rows) "
                f"| {render['ms']['count']} | {_f(render['ms']['p50'])} ms "
                f"| {_f(render['ms']['p95'])} ms | — | — |"
            )
        lines.append("")
    close = results.get("closing")
    if close:
        lines += [
            "## Closing a course",
            "",
            f"{close['attendees']} attendees ({close['with_recent_records']} with records in the "
            f"three weeks before, so the daily/weekly caps have work): submit "
            f"{_f(close['submit_s'], ' s', 3)}, confirm and close "
            f"{_f(close['confirm_and_close_s'], ' s', 3)}, "
            f"**total {_f(close['total_s'], ' s', 3)}**; {close['records']} records written.",
            "",
        ]
    mem = results.get("memory")
    if mem:
        lines += [
            "## Memory",
            "",
            f"RSS of each of the {mem['workers']} gunicorn workers after the HTTP phases: "
            f"{', '.join(f'{v} MB' for v in mem['rss_mb_each'])} (largest {mem['rss_mb_max']} MB; "
            f"master {mem['master_rss_mb']} MB).",
            "",
        ]
    return "\n".join(lines)
