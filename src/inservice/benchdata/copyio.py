"""COPY in text format: a table's column list taken from its Django model, rows written as
pre-formatted lines in large chunks, and progress lines on stderr."""

from __future__ import annotations

import datetime
import json
import queue
import sys
import threading
import time
from decimal import Decimal

NULL = "\\N"


def text(value) -> str:
    """One value in COPY text format."""
    t = type(value)
    if t is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if t is int:
        return str(value)
    if value is None:
        return NULL
    if t is bool:
        return "t" if value else "f"
    if t is list:
        return text(json_list(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def json_list(values) -> str:
    """json.dumps of a list of plain strings (codes), without the encoder's overhead."""
    if not values:
        return "[]"
    if all(type(v) is str and '"' not in v and "\\" not in v for v in values):
        return '["' + '", "'.join(values) + '"]'
    return json.dumps(list(values), ensure_ascii=False)


class Table:
    """The columns of `model` in the order: `fields` (supplied per row), then every other
    concrete field with its model default as a constant. A field that has no default and
    may not be NULL must be supplied (a clear error when a model gains such a field)."""

    def __init__(self, model, fields: list[str]):
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        by_name = {f.name: f for f in meta.concrete_fields}
        unknown = [f for f in fields if f not in by_name]
        if unknown:
            raise ValueError(f"{self.name}: unknown fields {unknown}")
        rest = [f for f in meta.concrete_fields if f.name not in fields]
        suffix = []
        for field in rest:
            if (
                field.has_default()
                and callable(field.default)
                and field.default
                not in (
                    list,
                    dict,
                )
            ):
                raise ValueError(
                    f"{self.name}.{field.column} has a computed default ({field.default}); "
                    "the dataset generator must supply it so the data stays deterministic."
                )
            default = field.get_default()
            if default is None and not field.null:
                if field.empty_strings_allowed:
                    default = ""
                else:
                    raise ValueError(
                        f"{self.name}.{field.column} has no default and is NOT NULL: "
                        "the dataset generator must supply it (benchdata/generator.py)."
                    )
            suffix.append(text(default))
        self.columns = [by_name[f].column for f in fields] + [f.column for f in rest]
        self.suffix = "".join("\t" + s for s in suffix) + "\n"
        self.count = 0

    @property
    def sql(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.name}" ({cols}) FROM STDIN'

    def line(self, *values) -> str:
        return "\t".join(map(text, values)) + self.suffix


class Pipe:
    """Runs the COPY statements in a background thread, so that PostgreSQL loads one chunk
    while Python formats the next (psycopg releases the GIL while it waits on the socket).
    Statements run in submission order; `drain()` waits for all of them (call it before
    using the connection for anything else)."""

    def __init__(self, cursor, depth: int = 3):
        self.cursor = cursor
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="benchdata-copy", daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    sql, data = item
                    with self.cursor.copy(sql) as copy:
                        copy.write(data)
            except BaseException as exc:  # reported to the main thread by submit/drain
                self.error = exc
            finally:
                self.queue.task_done()

    def submit(self, sql: str, data: str):
        if self.error is not None:
            raise self.error
        self.queue.put((sql, data))

    def drain(self):
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self):
        self.queue.put(None)
        self.thread.join()

    def abort(self):
        """After an error in the main thread: let the running COPY end, drop the rest."""
        self.error = self.error or RuntimeError("aborted")
        self.queue.put(None)
        self.thread.join()


class Writer:
    """Buffers lines for one table; each `flush` is one COPY statement (through the pipe)."""

    def __init__(self, pipe: Pipe, table: Table, progress: Progress, freeze: bool = False):
        self.pipe = pipe
        self.table = table
        self.progress = progress
        self.freeze = freeze
        self.buffer: list[str] = []

    def add(self, line: str):
        self.buffer.append(line)

    def flush(self):
        if not self.buffer:
            return
        sql = self.table.sql + (" WITH (FREEZE)" if self.freeze else "")
        n = len(self.buffer)
        self.pipe.submit(sql, "".join(self.buffer))
        self.table.count += n
        self.progress.add(self.table.name, n)
        self.buffer = []


def _fmt_seconds(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """Progress lines on stderr: rows per table, overall rows/s and an ETA from the plan."""

    def __init__(self, planned: dict[str, int], enabled: bool = True, stream=None):
        self.planned = planned
        self.total = sum(planned.values())
        self.done: dict[str, int] = {name: 0 for name in planned}
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last = 0.0
        self.phase = ""

    def add(self, table: str, n: int):
        self.done[table] = self.done.get(table, 0) + n
        self.tick()

    def set_phase(self, phase: str):
        self.phase = phase
        self.tick(force=True)

    def tick(self, force: bool = False):
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 2.0:
            return
        self.last = now
        elapsed = now - self.started
        done = sum(min(self.done.get(k, 0), v) for k, v in self.planned.items())
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        parts = []
        for name, planned in self.planned.items():
            got = self.done.get(name, 0)
            if got:
                short = name.split("_", 1)[-1]
                parts.append(f"{short} {got:,}/{planned:,}")
        self.stream.write(
            f"[dataset {_fmt_seconds(elapsed)}] {self.phase}  {done:,}/{self.total:,} rows "
            f"({done * 100 // max(self.total, 1)}%)  {rate:,.0f} rows/s  ETA {_fmt_seconds(eta)}"
            f"  | {'  '.join(parts)}\n"
        )
        self.stream.flush()

    def message(self, text: str):
        if self.enabled:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"[dataset {_fmt_seconds(elapsed)}] {text}\n")
            self.stream.flush()
