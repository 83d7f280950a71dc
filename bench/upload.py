"""Attendance upload benchmark: a large xlsx made like Excel makes it, uploaded through
`import_attendance_xlsx`, timed, with the process's peak resident memory.

Used by the `make bench` harness and by hand (inside a configured Django process):

    from bench.upload import generate_upload_xlsx, run_upload
    generate_upload_xlsx("/tmp/att.xlsx", 100_000, teachers)   # teachers: see below
    run_upload(course, "/tmp/att.xlsx")  # {"rows_per_s": …, "peak_rss_kb": …, …}

The file is written with shared strings (what Excel saves); `inline_strings=True` writes
inline strings instead (what streaming writers such as xlsxwriter's constant-memory mode
save). Every row names a different teacher, so all rows are accepted unless the teachers
are unknown to the database; a quarter each are 全程參與, 缺席, 請假 and 遲到或早退.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

STATUSES = ("全程參與", "缺席", "請假", "遲到或早退")


def _key_and_name(teacher) -> tuple[str, str]:
    if isinstance(teacher, (tuple, list)):
        return str(teacher[0]), str(teacher[1] if len(teacher) > 1 else "")
    return teacher.personal_identifier, teacher.name


def generate_upload_xlsx(
    path,
    rows: int,
    teachers: Iterable,
    *,
    inline_strings: bool = False,
    partial_hours: float = 3,
) -> int:
    """Write an upload file of `rows` data rows to `path`; returns the number of rows.

    `teachers` gives one teacher per row, in order: Teacher objects (their personal
    identifier and name are used) or (ID number or personal identifier, name) pairs. Half
    of the rows carry the name (checked against the database), half leave it blank; every
    third row has a note. Leave and partial rows carry `partial_hours` (keep it within the
    course's hours).
    """
    import xlsxwriter

    from inservice.attendance.services.entry import HEADERS

    options = {"constant_memory": True} if inline_strings else {}
    book = xlsxwriter.Workbook(str(path), options)
    sheet = book.add_worksheet("出席名單")
    for column, header in enumerate(HEADERS):
        sheet.write_string(0, column, header)
    written = 0
    for teacher in teachers:
        if written >= rows:
            break
        key, name = _key_and_name(teacher)
        r = written + 1
        status = STATUSES[written % 4]
        sheet.write_string(r, 0, key)
        if written % 2 and name:
            sheet.write_string(r, 1, name)
        sheet.write_string(r, 2, status)
        if status in ("請假", "遲到或早退"):
            sheet.write_number(r, 3, partial_hours)
        if written % 3 == 0:
            sheet.write_string(r, 4, f"備註 {written}")
        written += 1
    book.close()
    if written < rows:
        Path(path).unlink(missing_ok=True)
        raise ValueError(f"{rows} rows asked for, only {written} teachers given")
    return written


# --- memory ---------------------------------------------------------------------------------


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process (Linux ≥ 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


class _PeakSampler:
    """Fallback when VmHWM cannot be reset: sample VmRSS every few milliseconds."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak = _status_kb("VmRSS") or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _status_kb("VmRSS") or 0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_kb("VmRSS") or 0)


# --- the run ----------------------------------------------------------------------------------


def _organizer(course):
    from inservice.accounts.models import StaffProfile, StaffStatus

    staff = (
        StaffProfile.objects.filter(unit_id=course.unit_id, status=StaffStatus.ACTIVE)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if staff is None:
        raise ValueError(f"course {course.code}: its unit has no active staff account; pass actor")
    return staff.user


def run_upload(course, path, *, actor=None) -> dict:
    """Upload the file at `path` to `course` (whose attendance may be entered) and measure.

    Returns rows_per_s, seconds, cpu_seconds (this process's CPU time: the rest of
    `seconds` is the database's work or waiting for a CPU), rows, added, updated, rejected,
    rss_before_kb and
    peak_rss_kb: the process's highest resident set during the upload (the kernel's mark,
    reset just before; sampled when the kernel cannot reset it). The upload is committed
    like a real one; run it inside a transaction you roll back to keep the data unchanged.
    """
    from django.core.files import File

    from inservice.attendance.services.entry import import_attendance_xlsx

    actor = actor or _organizer(course)
    size = os.path.getsize(path)
    # On disk, as Django keeps an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE.
    handle = open(path, "rb")  # noqa: SIM115 — closed below
    file = File(handle, name=os.path.basename(str(path)))
    before = _status_kb("VmRSS") or 0
    exact = _reset_peak()
    sampler = None if exact else _PeakSampler()
    if sampler:
        sampler.__enter__()
    cpu_started = time.process_time()
    started = time.perf_counter()
    try:
        outcome = import_attendance_xlsx(actor=actor, course=course, file=file)
    finally:
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        handle.close()
        if sampler:
            sampler.__exit__(None, None, None)
    peak = (_status_kb("VmHWM") or 0) if exact else sampler.peak
    upload = outcome.upload
    return {
        "rows": upload.total_rows,
        "added": upload.added,
        "updated": upload.updated,
        "rejected": upload.rejected,
        "seconds": round(seconds, 3),
        "rows_per_s": round(upload.total_rows / seconds, 1) if seconds else None,
        "cpu_seconds": round(cpu_seconds, 3),
        "file_bytes": size,
        "rss_before_kb": before,
        "peak_rss_kb": peak,
        "peak_measured_by": "VmHWM" if exact else "sampling",
    }
