"""The `make bench` driver: serve the app with gunicorn (production settings) and measure it
over real HTTP on loopback, beside the same work done directly on the database.

Run by scripts/bench.sh, which provides the environment (DATABASE_URL of the bench
cluster, secrets, INSERVICE_VAR_DIR) and the dataset. By hand, with that environment:

    PYTHONPATH=src .venv/bin/python -m bench.run --scale small --seed 1

Writes bench/results/<date>-<scale>.json and .md; exits 1 when a correctness check fails
(overbooking, a server error, an upload that lost rows, a course that did not close).
What each number means: docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIX_FILE = ROOT / "bench" / "search_mix.json"
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"

# Defaults per scale: requests per search query (alone, kept and cold), seconds of the
# throughput run, requests for the records page and the transcript.
SCALE_DEFAULTS = {
    "tiny": {
        "search_n": 10, "search_cold_n": 3, "search_seconds": 5, "records_n": 20,
        "transcript_n": 5,
    },
    "small": {
        "search_n": 40, "search_cold_n": 10, "search_seconds": 20, "records_n": 60,
        "transcript_n": 10,
    },
    "national": {
        "search_n": 60, "search_cold_n": 10, "search_seconds": 30, "records_n": 100,
        "transcript_n": 20,
    },
}  # fmt: skip


# --- pure helpers (tests/bench) ------------------------------------------------------------------

_DATE_TOKEN = re.compile(r"\{today(?:([+-])(\d+))?\}")


def expand(value: str, today: datetime.date) -> str:
    """`{today}`, `{today+N}`, `{today-N}` in a parameter value → ISO dates."""

    def replace(match):
        days = int(match.group(2) or 0) * (-1 if match.group(1) == "-" else 1)
        return (today + datetime.timedelta(days=days)).isoformat()

    return _DATE_TOKEN.sub(replace, value)


def load_mix(path: Path = MIX_FILE, today: datetime.date | None = None) -> list[dict]:
    """The committed query mix: [{name, path, params, url, weight}], dates expanded."""
    from bench.httpload import build_path

    today = today or datetime.date.today()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out, names = [], set()
    for query in data["queries"]:
        name = query["name"]
        if name in names:
            raise ValueError(f"query name {name!r} appears twice")
        names.add(name)
        params = {
            k: [expand(v, today) for v in vs] if isinstance(vs, list) else expand(vs, today)
            for k, vs in query.get("params", {}).items()
        }
        out.append(
            {
                "name": name,
                "path": query["path"],
                "params": params,
                "url": build_path(query["path"], params),
                "weight": float(query.get("weight", 1)),
            }
        )
    return out


def keyword_length_class(params: dict) -> str:
    """'kw1', 'kw2', 'kw3', 'kw4+' (characters of the longest word) or 'none'."""
    words = str(params.get("q", "")).split()
    if not words:
        return "none"
    n = max(len(w) for w in words)
    return f"kw{n}" if n < 4 else "kw4+"


def parse_pgbench(output: str) -> dict:
    """tps (without connection time) and average latency from pgbench's report."""
    out = {}
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if tps is None:
        tps = re.search(r"tps = ([\d.]+)", output)
    if tps:
        out["tps"] = round(float(tps.group(1)), 1)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    if latency:
        out["latency_avg_ms"] = float(latency.group(1))
    done = re.search(r"number of transactions actually processed: (\d+)", output)
    if done:
        out["transactions"] = int(done.group(1))
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if failed:
        out["failed"] = int(failed.group(1))
    return out


# --- machine -----------------------------------------------------------------------------------


def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version()}
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kb = int(re.search(r"MemTotal:\s+(\d+) kB", meminfo).group(1))
        info["memory_gb"] = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        info["cpu"] = match.group(1).strip() if match else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    info["kernel"] = platform.release()
    return info


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        # Changed tracked files, other than earlier results (the code is what counts).
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def vmrss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return sorted(out)


# --- the run -----------------------------------------------------------------------------------


class Run:
    def __init__(self, args):
        self.args = args
        self.failures: list[str] = []
        self.results: dict = {}
        self.port = args.port
        self.gunicorn: subprocess.Popen | None = None
        self.var = Path(os.environ.get("INSERVICE_VAR_DIR", ROOT / ".bench-var"))
        self.var.mkdir(parents=True, exist_ok=True)

    def log(self, message: str):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def fail(self, message: str):
        self.log(f"CHECK FAILED: {message}")
        self.failures.append(message)

    # --- server --------------------------------------------------------------------------------

    def start_server(self):
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        env.pop("DJANGO_DEBUG", None)
        env.pop("INSERVICE_TESTING", None)
        log = open(self.var / "gunicorn.log", "ab")  # noqa: SIM115 — closed with the process
        self.gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "inservice.wsgi:application",
                "--workers",
                str(self.args.workers),
                "--bind",
                f"{HOST}:{self.port}",
                "--backlog",
                "4096",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        from bench.httpload import wait_until_up

        if not wait_until_up(HOST, self.port, "/courses/", seconds=90):
            raise SystemExit(f"gunicorn did not answer on port {self.port}: see {log.name}")
        self.log(f"gunicorn up: {self.args.workers} workers on {HOST}:{self.port}")

    def worker_memory(self) -> dict:
        workers = children(self.gunicorn.pid)
        rss = {pid: vmrss_kb(pid) for pid in workers}
        values = [v for v in rss.values() if v]
        return {
            "workers": len(workers),
            "rss_mb_each": [round(v / 1024, 1) for v in values],
            "rss_mb_max": round(max(values) / 1024, 1) if values else None,
            "master_rss_mb": round((vmrss_kb(self.gunicorn.pid) or 0) / 1024, 1),
        }

    def stop_server(self):
        if self.gunicorn is None:
            return
        try:
            os.killpg(self.gunicorn.pid, signal.SIGTERM)
            self.gunicorn.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.gunicorn.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.gunicorn = None

    # --- search --------------------------------------------------------------------------------

    def search(self):
        from django.conf import settings
        from django.db import connection
        from django.test import Client, override_settings
        from django.test.utils import CaptureQueriesContext

        from bench.httpload import Request, closed_loop, sequential
        from bench.stats import ratio, server_ms, summary
        from inservice.search import results_cache

        mix = load_mix()
        client = Client(SERVER_NAME=HOST)
        per_query = []
        weights = [q["weight"] for q in mix]
        mixed = [Request(q["url"], label=q["name"]) for q in mix]
        # Warm every worker (imports, templates, cached code tables) before measuring.
        warm, _seconds = closed_loop(
            HOST, self.port, mixed, [1] * len(mix), concurrency=self.args.workers, seconds=3
        )
        self._check_http(warm, "search warm-up")
        self.log(f"search: {len(mix)} queries × {self.args.search_n} requests, one at a time")
        for query in mix:
            # The SQL the page runs when it computes its results (none kept in the shared
            # cache), captured in-process, then timed on the database alone.
            with override_settings(SEARCH_CACHE_SECONDS=0):
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(query["url"])
            if response.status_code != 200:
                self.fail(f"search {query['name']}: HTTP {response.status_code} in-process")
            statements = [q["sql"] for q in captured.captured_queries]
            sql_ms = self._time_sql(statements, self.args.search_n)
            # The results computed (search/results_cache.py), each request after the search
            # table's generation is replaced: fresh, as a write of unknown extent (a rebuild)
            # replaces it (nothing kept); changed, as one course's change or cancellation
            # does; cold, as a new course's publication does (a count well above the cap,
            # found by a request before, outlives these two).
            cold_ms, changed_ms, fresh_ms = [], [], []
            for change, times in (
                ({}, fresh_ms),
                ({"rows": 1}, changed_ms),
                ({"added_only": True}, cold_ms),
            ):
                for _ in range(self.args.search_cold_n):
                    results_cache.changed(**change)
                    (cold,) = sequential(
                        HOST, self.port, [Request(query["url"], label=query["name"])]
                    )
                    self._check_http([cold], f"search {query['name']} (cold)")
                    times.append(server_ms(cold.headers.get("server-timing")))
            repeated = [Request(query["url"], label=query["name"])] * (self.args.search_n + 2)
            responses = sequential(HOST, self.port, repeated)[2:]  # two warm-up requests
            self._check_http(responses, f"search {query['name']}")
            client_ms = [r.ms for r in responses]
            app_ms = [v for v in (server_ms(r.headers.get("server-timing")) for r in responses)]
            app_ms = [v for v in app_ms if v is not None]
            app, sql = summary(app_ms), summary(sql_ms)
            cold = summary([v for v in cold_ms if v is not None])
            fresh = summary([v for v in fresh_ms if v is not None])
            changed = summary([v for v in changed_ms if v is not None])
            per_query.append(
                {
                    "name": query["name"],
                    "url": query["url"],
                    "keyword": keyword_length_class(query["params"]),
                    "results": result_count(response.content),
                    "queries": len(statements),
                    "client_ms": summary(client_ms),
                    "server_ms": app,
                    "server_ms_cold": cold,
                    "server_ms_changed": changed,
                    "server_ms_fresh": fresh,
                    "sql_ms": sql,
                    "server_over_sql_p50": ratio(app["p50"], sql["p50"]),
                    "cold_over_sql_p50": ratio(cold["p50"], sql["p50"]),
                    "fresh_over_sql_p50": ratio(fresh["p50"], sql["p50"]),
                }
            )
        self.log(
            f"search throughput: {self.args.concurrency} clients for {self.args.search_seconds} s"
        )
        responses, seconds = closed_loop(
            HOST,
            self.port,
            mixed,
            weights,
            concurrency=self.args.concurrency,
            seconds=self.args.search_seconds,
            seed=self.args.seed,
        )
        self._check_http(responses, "search throughput run")
        load_app = [server_ms(r.headers.get("server-timing")) for r in responses]
        by_name: dict[str, list[float]] = {}
        for r, app in zip(responses, load_app, strict=True):
            if app is not None:
                by_name.setdefault(r.label, []).append(app)
        for row in per_query:
            row["server_ms_under_load"] = summary(by_name.get(row["name"], []))
        self.results["search"] = {
            "queries": per_query,
            "server_ms_p95_worst": max(q["server_ms"]["p95"] or 0 for q in per_query),
            "server_ms_p95_worst_query": max(per_query, key=lambda q: q["server_ms"]["p95"] or 0)[
                "name"
            ],
            "kept_results_seconds": settings.SEARCH_CACHE_SECONDS,
            "cold_ms_p95_worst": max(q["server_ms_cold"]["p95"] or 0 for q in per_query),
            "cold_ms_p95_worst_query": max(
                per_query, key=lambda q: q["server_ms_cold"]["p95"] or 0
            )["name"],
            "changed_ms_p95_worst": max(q["server_ms_changed"]["p95"] or 0 for q in per_query),
            "changed_ms_p95_worst_query": max(
                per_query, key=lambda q: q["server_ms_changed"]["p95"] or 0
            )["name"],
            "fresh_ms_p95_worst": max(q["server_ms_fresh"]["p95"] or 0 for q in per_query),
            "fresh_ms_p95_worst_query": max(
                per_query, key=lambda q: q["server_ms_fresh"]["p95"] or 0
            )["name"],
            "load": {
                "concurrency": self.args.concurrency,
                "seconds": round(seconds, 2),
                "client_ms": summary([r.ms for r in responses], seconds=seconds),
                "server_ms": summary([a for a in load_app if a is not None]),
            },
        }

    def _time_sql(self, statements: list[str], n: int) -> list[float]:
        import psycopg

        samples = []
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            with conn.cursor() as cur:
                for i in range(n + 2):
                    started = time.perf_counter()
                    for sql in statements:
                        cur.execute(sql)
                        if cur.description is not None:
                            cur.fetchall()
                    if i >= 2:
                        samples.append((time.perf_counter() - started) * 1000)
        return samples

    def _check_http(self, responses, what: str, ok=(200,)):
        bad = [r for r in responses if r.status not in ok]
        errors = [r for r in bad if r.status >= 500 or r.status == 0]
        if errors:
            sample = errors[0]
            self.fail(
                f"{what}: {len(errors)} server errors/no answer "
                f"(first: {sample.status} {sample.error})"
            )
        elif bad:
            self.fail(f"{what}: {len(bad)} answers not {ok} (first: {bad[0].status})")

    # --- registration burst ----------------------------------------------------------------------

    def burst(self):
        from django.conf import settings
        from django.utils.crypto import get_random_string

        from bench import fixtures
        from bench.httpload import Request, burst
        from bench.stats import ratio, summary
        from inservice.enrollment.models import Registration

        clients, seats = self.args.clients, self.args.seats
        unit = fixtures.bench_unit()
        staff = fixtures.staff_user("bench-staff", unit)
        course = fixtures.open_course(staff, seats)
        users = fixtures.login_teachers(clients, unit)
        keys = fixtures.sessions_for(users)
        self.log(
            f"registration burst: {clients} clients at once, course {course.code}, {seats} seats"
        )
        requests = []
        for key in keys:
            token = get_random_string(32)
            requests.append(
                Request(
                    f"/courses/{course.code}/register/",
                    method="POST",
                    headers={
                        "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; "
                        f"{settings.CSRF_COOKIE_NAME}={token}",
                        "X-CSRFToken": token,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                    label="register",
                )
            )
        responses, seconds = burst(HOST, self.port, requests)
        self._check_http(responses, "registration burst", ok=(302,))
        landed = sum(1 for r in responses if "/my/registrations/" in r.headers.get("location", ""))
        counts = {
            status: Registration.objects.filter(course=course, status=status).count()
            for status in ("admitted", "waitlisted", "applied", "cancelled", "removed")
        }
        refused = clients - counts["admitted"] - counts["waitlisted"]
        if counts["admitted"] > seats:
            self.fail(f"overbooking: {counts['admitted']} admitted for {seats} seats")
        elif counts["admitted"] != min(seats, clients):
            self.fail(f"{counts['admitted']} admitted for {seats} seats and {clients} clients")
        if landed != counts["admitted"] + counts["waitlisted"]:
            self.fail(
                f"{landed} registration pages for "
                f"{counts['admitted'] + counts['waitlisted']} registrations"
            )
        # The bench teachers are reused by the next run: their seats here must not make its
        # overlap checks (courses on the same dates) longer than a real teacher's.
        Registration.objects.filter(course=course).delete()
        app = summary([r.ms for r in responses], seconds=seconds)
        floor = self._logged_in_floor(requests)
        pgb = self.pgbench(clients)
        self.results["registration"] = {
            "clients": clients,
            "seats": seats,
            "course": course.code,
            "seconds": round(seconds, 2),
            "client_ms": app,
            "throughput_per_s": app["per_s"],
            "admitted": counts["admitted"],
            "waitlisted": counts["waitlisted"],
            "refused": refused,
            "status_codes": _status_counts(responses),
            "pgbench": pgb,
            "app_over_pgbench": ratio(app["per_s"], pgb.get("tps"), 3),
            "logged_in_floor": floor,
        }

    def _logged_in_floor(self, registrations) -> dict:
        """The same burst of the same logged-in teachers, each asking for a page that does
        nothing but load their session and account and redirect (the login page sends a
        logged-in teacher home): what the framework and the machine serve before any
        registration work, beside the registrations (docs/performance.md)."""
        from bench.httpload import Request, burst
        from bench.stats import summary

        requests = [
            Request("/accounts/login/", headers={"Cookie": r.headers["Cookie"]}, label="floor")
            for r in registrations
        ]
        responses, seconds = burst(HOST, self.port, requests)
        self._check_http(responses, "logged-in floor burst", ok=(302,))
        return summary([r.ms for r in responses], seconds=seconds)

    def pgbench(self, transactions: int) -> dict:
        """The same shape of work without the app: lock one row, insert one row, commit."""
        import psycopg

        url = os.environ["DATABASE_URL"]
        clients = self.args.workers  # the app's concurrency towards the database
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "DROP TABLE IF EXISTS bench_pgb_registration;"
                "DROP TABLE IF EXISTS bench_pgb_course;"
                "CREATE TABLE bench_pgb_course (id int PRIMARY KEY, admitted int NOT NULL);"
                "INSERT INTO bench_pgb_course VALUES (1, 0);"
                "CREATE TABLE bench_pgb_registration (id bigserial PRIMARY KEY, course_id int"
                " NOT NULL, teacher_id int NOT NULL, status text NOT NULL,"
                " queued_at timestamptz NOT NULL);"
            )
        script = (
            "\\set teacher random(1, 100000000)\n"
            "BEGIN;\n"
            "SELECT admitted FROM bench_pgb_course WHERE id = 1 FOR UPDATE;\n"
            "INSERT INTO bench_pgb_registration (course_id, teacher_id, status, queued_at)"
            " VALUES (1, :teacher, 'admitted', now());\n"
            "END;\n"
        )
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
            handle.write(script)
        os.chmod(handle.name, 0o644)
        per_client = math.ceil(transactions / clients)
        from urllib.parse import urlparse

        parsed = urlparse(url)
        command = [
            "pgbench",
            "-n",
            "-f",
            handle.name,
            "-c",
            str(clients),
            "-j",
            str(min(clients, os.cpu_count() or 1)),
            "-t",
            str(per_client),
            "-h",
            parsed.hostname,
            "-p",
            str(parsed.port),
            "-U",
            parsed.username or "postgres",
            parsed.path.lstrip("/"),
        ]
        self.log(f"pgbench: {clients} clients × {per_client} transactions")
        done = subprocess.run(command, capture_output=True, text=True)
        os.unlink(handle.name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "DROP TABLE IF EXISTS bench_pgb_registration; DROP TABLE IF EXISTS bench_pgb_course"
            )
        if done.returncode != 0:
            self.log(f"pgbench failed: {done.stderr.strip()[:500]}")
            return {"error": done.stderr.strip()[:500]}
        return {"clients": clients, **parse_pgbench(done.stdout)}

    # --- records page and transcript ------------------------------------------------------------

    def records(self):
        from django.conf import settings

        from bench import fixtures
        from bench.httpload import Request, sequential
        from bench.stats import server_ms, summary
        from inservice.records.models import TrainingRecord

        user = self.veteran()
        key = fixtures.sessions_for([user])[0]
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={key}"}
        n_records = TrainingRecord.objects.filter(teacher__user=user).count()
        years = TrainingRecord.objects.filter(teacher__user=user).dates("start_date", "year")
        out = {"teacher": user.username, "records": n_records, "years": len(years)}
        for name, path, n, ok in (
            ("page", "/my/records/", self.args.records_n, (200,)),
            # A filtered page is never served from the totals cache.
            ("page_filtered", "/my/records/?source=online&sort=hours", self.args.records_n, (200,)),
            # Issuing: long transcripts answer 302 to their status page and render in a job.
            ("transcript_issue", "/my/records/transcript.pdf", self.args.transcript_n, (200, 302)),
        ):
            self.log(f"records: {path} × {n}")
            responses = sequential(
                HOST, self.port, [Request(path, headers=cookie, label=name)] * (n + 1)
            )[1:]
            self._check_http(responses, f"records {name}", ok=ok)
            out[name] = {
                "client_ms": summary([r.ms for r in responses]),
                "server_ms": summary(
                    [v for v in (server_ms(r.headers.get("server-timing")) for r in responses) if v]
                ),
                "bytes": len(responses[-1].body) if responses else None,
            }
        out["transcript_pdf_render"] = self._render_transcripts(user)
        self.results["records"] = out

    def _render_transcripts(self, user) -> dict:
        """The background job's work for the teacher's latest transcripts, timed in-process."""
        from bench.stats import summary
        from inservice.records.models import Transcript
        from inservice.records.services import transcripts

        issued = list(
            Transcript.objects.filter(teacher__user=user).order_by("-pk")[
                : max(1, min(self.args.transcript_n, 3))
            ]
        )
        times = []
        for transcript in issued:
            self.log(
                f"records: rendering transcript {transcript.code} ({len(transcript.entries)} rows)"
            )
            started = time.perf_counter()
            transcripts.transcript_pdf(transcript)
            times.append((time.perf_counter() - started) * 1000)
        return {"ms": summary(times), "rows": len(issued[0].entries) if issued else 0}

    def veteran(self):
        """The dataset's teacher with 40 years of records when it names one; else ours."""
        from bench import fixtures
        from inservice.accounts.models import User

        anchor = _dataset_anchor("teacher_40_years") or {}
        user = User.objects.filter(username=anchor.get("username") or "-").first()
        return user if user is not None else fixtures.veteran()

    # --- attendance upload ----------------------------------------------------------------------

    def upload(self):
        from bench import fixtures
        from bench.stats import ratio
        from bench.upload import generate_upload_xlsx
        from inservice.attendance.models import AttendanceEntry

        unit = fixtures.bench_unit()
        staff = fixtures.staff_user("bench-staff", unit)
        rows = self.args.upload_rows
        small = max(rows // 10, 1)
        self.log(f"upload: finding {rows} teachers")
        teachers = fixtures.teachers_for_upload(rows, unit)
        out = {"rows": rows}
        with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
            for label, n in (("small_file", small), ("file", rows)):
                path = Path(tmp) / f"attendance-{n}.xlsx"
                started = time.perf_counter()
                generate_upload_xlsx(path, n, teachers[:n], inline_strings=True)
                made = time.perf_counter() - started
                course = fixtures.held_course(staff, name=f"效能測試：出席名單上傳 {n} 列")
                self.log(f"upload: {n} rows ({path.stat().st_size // 1024} KiB) in a subprocess")
                result = self._upload_subprocess(course.pk, path, staff.pk)
                result["xlsx_written_s"] = round(made, 2)
                stored = AttendanceEntry.objects.filter(course=course).count()
                result["entries_stored"] = stored
                if result.get("error"):
                    self.fail(f"upload of {n} rows: {result['error']}")
                elif stored != n or result.get("rejected"):
                    self.fail(
                        f"upload lost rows: {n} sent, {stored} stored, "
                        f"{result.get('rejected')} rejected"
                    )
                out[label] = result
            out["copy"] = self._copy_rows(teachers[:rows])
        out["rows_per_s"] = out["file"].get("rows_per_s")
        out["app_over_copy"] = ratio(out["rows_per_s"], out["copy"]["rows_per_s"], 3)
        peak_small = out["small_file"].get("peak_rss_kb")
        peak_big = out["file"].get("peak_rss_kb")
        out["peak_rss_mb"] = round(peak_big / 1024, 1) if peak_big else None
        out["peak_growth_mb_10x_rows"] = (
            round((peak_big - peak_small) / 1024, 1) if peak_big and peak_small else None
        )
        self.results["upload"] = out

    def _upload_subprocess(self, course_pk: int, path: Path, actor_pk: int) -> dict:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "bench.upload_job", str(course_pk), str(path), str(actor_pk)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _copy_rows(self, teachers) -> dict:
        """The same rows COPYed into a temporary table: the database's own speed."""
        import psycopg

        from bench.upload import STATUSES

        rows = []
        for i, (key, name) in enumerate(teachers):
            status = STATUSES[i % 4]
            rows.append(
                (
                    key,
                    name if i % 2 else "",
                    status,
                    3 if status in ("請假", "遲到或早退") else None,
                    f"備註 {i}" if i % 3 == 0 else "",
                )
            )
        with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    "CREATE TEMP TABLE bench_copy (ident text, name text, status text,"
                    " hours numeric, note text)"
                )
                started = time.perf_counter()
                with cur.copy("COPY bench_copy FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                conn.commit()
                seconds = time.perf_counter() - started
        return {"seconds": round(seconds, 3), "rows_per_s": round(len(rows) / seconds, 1)}

    # --- closing --------------------------------------------------------------------------------

    def closing(self):
        from django.utils import timezone

        from bench import fixtures
        from inservice.accounts.models import Teacher, User
        from inservice.attendance.services import closing
        from inservice.attendance.services.entry import attendance_list_for
        from inservice.courses.models import Course
        from inservice.records.models import TrainingRecord

        since = timezone.localdate() - datetime.timedelta(days=21)
        anchor = _dataset_anchor("closing_course") or {}
        course = Course.objects.filter(
            code=anchor.get("course_code") or 0, status="published"
        ).first()
        if course is not None:
            # The dataset's held course with its admitted registrants (first run on this
            # dataset): the entry service seeds the list from them, as the organizer's first
            # visit does.
            staff = User.objects.select_related("staff__unit").get(
                username=anchor["organizer_username"]
            )
            attendance_list_for(course, actor=staff)
            source = "dataset"
        else:
            want = self.args.close_attendees
            unit = fixtures.bench_unit()
            staff = fixtures.staff_user("bench-staff", unit)
            course = fixtures.held_course(staff, name=f"效能測試：{want} 人結案")
            # Teachers who already have records in the last weeks first: caps have work.
            busy = list(
                TrainingRecord.objects.filter(start_date__gte=since)
                .order_by("teacher_id")
                .values_list("teacher_id", flat=True)
                .distinct()[:want]
            )
            rest = list(
                Teacher.objects.exclude(pk__in=busy)
                .order_by("pk")
                .values_list("pk", flat=True)[: want - len(busy)]
            )
            fixtures.put_on_list(course, busy + rest)
            source = "bench"
        attendees = list(course.attendance_entries.values_list("teacher_id", flat=True))
        n = len(attendees)
        busy = (
            TrainingRecord.objects.filter(teacher_id__in=attendees, start_date__gte=since)
            .values("teacher_id")
            .distinct()
            .count()
        )
        reviewer = fixtures.reviewer_for(course)
        self.log(f"closing: course {course.code} ({source}), {n} attendees, {busy} with records")
        started = time.perf_counter()
        attendance = closing.submit_list(actor=staff, course=course)
        submitted = time.perf_counter()
        if attendance.state != "confirmed":
            closing.confirm_list(actor=reviewer, course=Course.objects.get(pk=course.pk))
        finished = time.perf_counter()
        course.refresh_from_db()
        records = TrainingRecord.objects.filter(course=course).count()
        if course.status != "closed" or records != n or n == 0:
            self.fail(f"closing: course {course.status}, {records} records for {n} attendees")
        self.results["closing"] = {
            "course": course.code,
            "from": source,
            "attendees": n,
            "with_recent_records": busy,
            "submit_s": round(submitted - started, 3),
            "confirm_and_close_s": round(finished - submitted, 3),
            "total_s": round(finished - started, 3),
            "records": records,
        }

    # --- all --------------------------------------------------------------------------------------

    def dataset(self) -> dict:
        from django.db import connection

        out = {}
        with connection.cursor() as cur:
            for label, table in (
                ("units", "organizations_unit"),
                ("teachers", "accounts_teacher"),
                ("courses", "courses_course"),
                ("search_entries", "search_coursesearchentry"),
                ("registrations", "enrollment_registration"),
                ("training_records", "records_trainingrecord"),
            ):
                cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
                row = cur.fetchone()
                out[label] = int(row[0]) if row and row[0] >= 0 else None
            cur.execute("SHOW server_version")
            out["postgresql"] = cur.fetchone()[0]
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            out["database_size"] = cur.fetchone()[0]
        return out

    def main(self) -> int:
        started = time.time()
        self.results = {
            "date": datetime.date.today().isoformat(),
            "scale": self.args.scale,
            "seed": self.args.seed,
            "commit": git_commit(),
            "machine": machine(),
            "workers": self.args.workers,
        }
        self.results["dataset"] = self.dataset()
        phases = [p.strip() for p in self.args.only.split(",")] if self.args.only else None
        http_phases = [
            ("search", self.search),
            ("registration", self.burst),
            ("records", self.records),
        ]
        local_phases = [("upload", self.upload), ("closing", self.closing)]
        try:
            wanted = [p for p in http_phases if phases is None or p[0] in phases]
            if wanted:
                self.start_server()
                for name, phase in wanted:
                    self._run_phase(name, phase)
                self.results["memory"] = self.worker_memory()
        finally:
            self.stop_server()
        for name, phase in local_phases:
            if phases is None or name in phases:
                self._run_phase(name, phase)
        self.results["seconds"] = round(time.time() - started, 1)
        self.results["failures"] = self.failures
        self.write()
        if self.failures:
            self.log(f"{len(self.failures)} correctness check(s) failed")
            return 1
        self.log("all correctness checks passed")
        return 0

    def _run_phase(self, name, phase):
        """A phase that crashes is a failed check; the other phases still run and the
        figures measured so far are still written."""
        try:
            phase()
        except Exception as exc:  # noqa: BLE001 (any crash of a phase is reported, not fatal)
            import traceback

            traceback.print_exc()
            self.fail(f"{name}: the phase crashed: {type(exc).__name__}: {exc}"[:500])

    def write(self):
        from bench.report import markdown

        RESULTS.mkdir(parents=True, exist_ok=True)
        stem = RESULTS / f"{self.results['date']}-{self.results['scale']}"
        Path(f"{stem}.json").write_text(
            json.dumps(self.results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        Path(f"{stem}.md").write_text(markdown(self.results), encoding="utf-8")
        self.log(f"wrote {stem}.json and {stem}.md")


def _status_counts(responses) -> dict:
    out: dict[str, int] = {}
    for r in responses:
        out[str(r.status)] = out.get(str(r.status), 0) + 1
    return out


_COUNT = re.compile(r"找到(?:超過)? ?([\d,]+) 門課程")


def result_count(body: bytes) -> int | None:
    """The number of courses a search page says it found."""
    match = _COUNT.search(body.decode("utf-8", "replace"))
    return int(match.group(1).replace(",", "")) if match else None


def _dataset_anchor(name: str):
    """An anchor the dataset generator recorded (bench_dataset marker), or None."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_dataset')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute("SELECT anchors FROM bench_dataset ORDER BY loaded_at DESC LIMIT 1")
        row = cur.fetchone()
    if not row or not row[0]:
        return None
    anchors = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return anchors.get(name) if isinstance(anchors, dict) else None


def parse_args(argv=None):
    scale = os.environ.get("BENCH_SCALE", "small")
    defaults = SCALE_DEFAULTS.get(scale, SCALE_DEFAULTS["small"])
    cores = os.cpu_count() or 1

    def env_int(name, default):
        return int(os.environ.get(name, default))

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default=scale)
    parser.add_argument("--seed", type=int, default=env_int("BENCH_SEED", 1))
    parser.add_argument("--port", type=int, default=env_int("BENCH_HTTP_PORT", 8399))
    parser.add_argument("--workers", type=int, default=env_int("BENCH_WORKERS", 2 * cores + 1))
    parser.add_argument(
        "--concurrency", type=int, default=env_int("BENCH_CONCURRENCY", 2 * (2 * cores + 1))
    )
    parser.add_argument(
        "--search-n", type=int, default=env_int("BENCH_SEARCH_N", defaults["search_n"])
    )
    parser.add_argument(
        "--search-cold-n",
        type=int,
        default=env_int("BENCH_SEARCH_COLD_N", defaults["search_cold_n"]),
    )
    parser.add_argument(
        "--search-seconds",
        type=float,
        default=env_int("BENCH_SEARCH_SECONDS", defaults["search_seconds"]),
    )
    parser.add_argument("--clients", type=int, default=env_int("BENCH_CLIENTS", 2000))
    parser.add_argument("--seats", type=int, default=env_int("BENCH_SEATS", 50))
    parser.add_argument("--upload-rows", type=int, default=env_int("BENCH_UPLOAD_ROWS", 100_000))
    parser.add_argument(
        "--records-n", type=int, default=env_int("BENCH_RECORDS_N", defaults["records_n"])
    )
    parser.add_argument(
        "--transcript-n", type=int, default=env_int("BENCH_TRANSCRIPT_N", defaults["transcript_n"])
    )
    parser.add_argument("--close-attendees", type=int, default=env_int("BENCH_CLOSE_N", 500))
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help="comma-separated phases: search,registration,records,upload,closing",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inservice.settings")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, args.clients * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return Run(args).main()


if __name__ == "__main__":
    sys.exit(main())
