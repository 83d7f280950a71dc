"""Queries compiled once per process and, on PostgreSQL, planned once per connection.

Django compiles a queryset's SQL each time it runs it, and PostgreSQL plans every statement
it receives. For the lookups that run on every request or in every registration of a burst,
both cost more than running the query: compiling the logged-in account with its teacher row
was ~40 % of a minimal teacher request's CPU, and planning the course's four-table lookup and
the overlap check took ten times longer than executing them (docs/performance.md).

- `PreparedQuery` compiles a queryset the first time with markers in place of the looked-up
  values, keeps the SQL and Django's row-to-object mapping, and later only puts the values
  where the markers were. The objects come out of Django's own iterator, so deferred fields,
  `select_related` caches and converters are exactly the ORM's. `share=True` takes a
  `select_for_update()` queryset's row locks in share mode (`FOR SHARE`, which Django lacks).
- `PreparedInsert` is `Model.objects.create` with the INSERT compiled once.
- `execute` runs an SQL statement as a server-side prepared statement (`PREPARE` once per
  connection, then `EXECUTE`), so PostgreSQL reuses its plan. `PreparedQuery` and
  `PreparedInsert` run through it. Other databases run the statement as it is.

Only for statements whose SQL does not depend on the values (plain equality lookups) and
whose plan suits every value (lookups by key). Not for a connection pooler in transaction
mode, which would hand a prepared statement's name to another server connection
(`DB_PREPARED_STATEMENTS=0` turns the PREPARE off; docs/deployment.md).
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet

# Markers of the looked-up values while compiling: the n-th value of a type is the n-th
# marker of that type (the integers are 64-bit: for key and big integer columns).
_MARKERS: dict[type, Callable[[int], Any]] = {
    int: lambda n: -7_305_518_226_974_601 - n,
    str: lambda n: f"\x00prepared-query-value-{n}\x00",
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


class _Statement:
    """An SQL text with %s or %(name)s placeholders as a server-side statement."""

    __slots__ = ("name", "text", "keys", "execute_sql")

    def __init__(self, sql: str):
        keys: list = []

        def number(match: re.Match) -> str:
            if match.group(0) == "%%":
                return "%"
            key = match.group(1) if match.group(1) is not None else len(keys)
            if key not in keys:
                keys.append(key)
            return f"${keys.index(key) + 1}"

        self.text = _PLACEHOLDER.sub(number, sql)
        if any(isinstance(k, str) for k in keys) and any(isinstance(k, int) for k in keys):
            raise ValueError("an SQL statement takes %s or %(name)s placeholders, not both")
        self.keys = keys
        self.name = "inservice_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()
        arguments = ", ".join(["%s"] * len(keys))
        self.execute_sql = f"EXECUTE {self.name}({arguments})" if keys else f"EXECUTE {self.name}"

    def ordered(self, params) -> list:
        return [params[k] for k in self.keys]


_statements: dict[str, _Statement] = {}
# The statements prepared on each open database connection (the driver's connection object:
# a reconnection starts with none).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_unpreparable: set[str] = set()


def source(sent: str) -> str:
    """The SQL behind a statement as sent (`EXECUTE inservice_…(…)` gives the prepared SQL,
    anything else itself): for reading captured queries in tests and logs."""
    if sent.startswith("EXECUTE inservice_"):
        name = sent[len("EXECUTE ") :].split("(", 1)[0].strip()
        for statement in list(_statements.values()):
            if statement.name == name:
                return statement.text
    return sent


def _enabled(wrapper) -> bool:
    return wrapper.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)


def _prepare(wrapper, statement: _Statement) -> bool:
    """PREPARE `statement` on this connection unless done; False if PostgreSQL refuses it.

    Straight on the driver's connection, inside a savepoint when a transaction is open, so a
    refusal leaves the caller's transaction as it was, and the one-time PREPARE does not
    count among a request's queries (PostgreSQL keeps it for the session, even if the
    transaction around it is rolled back)."""
    import psycopg

    raw = wrapper.connection
    done = _prepared.get(raw)
    if done is None:
        done = _prepared[raw] = set()
    if statement.name in done:
        return True
    in_transaction = not wrapper.get_autocommit()
    try:
        if in_transaction:
            raw.execute("SAVEPOINT inservice_prepare")
    except psycopg.Error:
        return False  # an unusable transaction: the caller's own statement reports it
    try:
        raw.execute(f"PREPARE {statement.name} AS {statement.text}")
    except psycopg.Error as exc:
        if in_transaction:
            raw.execute("ROLLBACK TO SAVEPOINT inservice_prepare")
        if isinstance(exc, psycopg.errors.DuplicatePreparedStatement):
            done.add(statement.name)
            return True
        if (exc.sqlstate or "").startswith("42"):  # the statement itself: never retried
            _unpreparable.add(statement.name)
        return False
    if in_transaction:
        raw.execute("RELEASE SAVEPOINT inservice_prepare")
    done.add(statement.name)
    return True


def _as_is(params):
    return params


def statement_for(sql: str, using: str | None = None) -> tuple[str, Callable[[Any], list]]:
    """The SQL to send for `sql` on connection `using`, and how to order its parameters."""
    wrapper = connections[using or "default"]
    if not _enabled(wrapper):
        return sql, _as_is
    statement = _statements.get(sql)
    if statement is None:
        statement = _statements.setdefault(sql, _Statement(sql))
    if statement.name in _unpreparable:
        return sql, _as_is
    wrapper.ensure_connection()
    if not _prepare(wrapper, statement):
        return sql, _as_is
    return statement.execute_sql, statement.ordered


def execute(cursor, sql: str, params: Sequence | dict = ()):
    """`cursor.execute(sql, params)`, as a prepared statement on PostgreSQL."""
    text, order = statement_for(sql, cursor.db.alias)
    return cursor.execute(text, order(params))


class _Compiled:
    __slots__ = ("template", "sql", "params", "slots", "state", "converters")

    # The compiler's attributes that `as_sql` sets and Django's iterator reads afterwards.
    STATE = ("select", "klass_info", "annotation_col_map", "col_count", "has_extra_select")

    def __init__(self, queryset: QuerySet, markers: list, share: bool = False):
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if share:
            sql = _for_share(sql, compiler.connection)
        # For each value, where it goes (it may be used more than once) and how the backend
        # wrapped it there (psycopg's Int8 for a big integer column): the value is wrapped
        # the same way when it takes the marker's place.
        self.slots: list[list[tuple[int, type]]] = []
        for marker in markers:
            found = [
                (i, type(p))
                for i, p in enumerate(params)
                if isinstance(p, type(marker)) and p == marker
            ]
            if not found:
                raise ValueError("a prepared query needs each value in its SQL")
            self.slots.append(found)
        self.template = queryset
        self.sql = sql
        self.params = list(params)
        self.state = {name: getattr(compiler, name) for name in self.STATE}
        # The row converters, by database connection (a backend's converters may be its
        # methods): found once, as the columns are always the same.
        self.converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _for_share(sql: str, connection) -> str:
    """`sql` from a `select_for_update()` queryset, locking its rows in share mode: Django
    has no `FOR SHARE` (others may share-lock the rows too; nobody may change or
    exclusively lock them until the transaction ends)."""
    if not connection.features.has_select_for_update:
        return sql  # no row locks to take (SQLite: the whole database is locked on write)
    if not sql.endswith(" FOR UPDATE"):
        raise ValueError("a share lock is made from a plain select_for_update() queryset")
    return sql.removesuffix(" FOR UPDATE") + " FOR SHARE"


def _converters_once(compiled: _Compiled, compiler):
    """The compiler's `get_converters`, asked once per connection: Django looks up every
    column's converters on every run, a fifth of a prepared lookup's time."""
    find = compiler.get_converters
    connection = compiler.connection

    def get_converters(expressions):
        converters = compiled.converters.get(connection)
        if converters is None:
            converters = compiled.converters[connection] = find(expressions)
        return converters

    return get_converters


class PreparedQuery:
    """`PreparedQuery(lambda a, b: Model.objects....filter(x=a, y=b), int, int)`;
    `.get(a, b)` is the one object or None. `share=True`: `build` makes a
    `select_for_update()` queryset, and the row is locked in share mode instead."""

    def __init__(self, build: Callable[..., QuerySet], *value_types: type, share: bool = False):
        value_types = value_types or (int,)
        if any(t not in _MARKERS for t in value_types):
            raise TypeError(f"prepared queries take {', '.join(t.__name__ for t in _MARKERS)}")
        self._build = build
        self._types = value_types
        self._share = share
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                markers = [_MARKERS[t](n) for n, t in enumerate(self._types)]
                queryset = self._build(*markers).using(using)
                compiled = self._compiled[using] = _Compiled(queryset, markers, self._share)
        return compiled

    def get(self, *values, using: str = "default"):
        if len(values) != len(self._types) or any(
            type(v) is not t for v, t in zip(values, self._types, strict=False)
        ):
            expected = ", ".join(t.__name__ for t in self._types)
            raise TypeError(f"expected ({expected}), got {values!r}")
        compiled = self._for(using)
        params = list(compiled.params)
        for slots, value in zip(compiled.slots, values, strict=True):
            for position, wrap in slots:
                params[position] = wrap(value)
        sql, order = statement_for(compiled.sql, using)
        sent = (sql, tuple(order(params)))
        queryset = compiled.template._chain()
        query = queryset.query
        compiler = query.get_compiler(using=using)
        # What `as_sql` would have produced and set.
        compiler.__dict__.update(compiled.state)
        compiler.as_sql = lambda *args, **kwargs: sent
        compiler.get_converters = _converters_once(compiled, compiler)
        query.get_compiler = lambda *args, **kwargs: compiler
        rows = list(queryset)
        if len(rows) > 1:
            raise queryset.model.MultipleObjectsReturned(
                f"a prepared query of {queryset.model.__name__} found {len(rows)} rows"
            )
        return rows[0] if rows else None


class PreparedInsert:
    """`Model.objects.create(**values)` with the INSERT compiled once per process (and
    prepared once per connection on PostgreSQL): for rows written in every registration of a
    burst (the registration, its audit event, its mail), where Django's compiling of each
    INSERT cost ~0.25 ms, more than the database's work.

    The instance is built by the model (defaults), each value goes through its field's
    `pre_save` and `get_db_prep_save` as in `save()`, and `pre_save`/`post_save` are sent.
    Values must be plain (no expressions), the model without multi-table inheritance, and
    no field may need a placeholder of its own (binary fields) or have a database default;
    refused otherwise."""

    def __init__(self, model):
        meta = model._meta
        if meta.parents or meta.order_with_respect_to:
            raise ValueError(f"{meta.label}: no prepared insert for inherited or ordered models")
        self.model = model
        self.fields = [f for f in meta.local_concrete_fields if not f.generated]
        self.fields = [f for f in self.fields if f is not meta.auto_field]
        if any(getattr(type(f), "get_placeholder", None) is not None for f in self.fields):
            raise ValueError(f"{meta.label}: a field needs a placeholder of its own")
        if any(f.has_db_default() for f in self.fields):
            raise ValueError(f"{meta.label}: a database default is an expression in the INSERT")
        self._sql: dict[str, tuple[str, list]] = {}

    def _compiled(self, obj, using: str, connection) -> tuple[str, list]:
        compiled = self._sql.get(using)
        if compiled is None:
            from django.db.models.sql import InsertQuery

            query = InsertQuery(self.model)
            query.insert_values(self.fields, [obj])
            compiler = query.get_compiler(using=using)
            returning = self.model._meta.db_returning_fields
            if connection.features.can_return_columns_from_insert:
                compiler.returning_fields = returning
            [(sql, _params)] = compiler.as_sql()
            compiled = self._sql[using] = (sql, returning)
        return compiled

    def create(self, **values):
        from django.db import router, transaction
        from django.db.models import signals

        for value in values.values():
            if hasattr(value, "resolve_expression"):
                raise TypeError("a prepared insert takes plain values, not expressions")
        obj = self.model(**values)
        using = router.db_for_write(self.model, instance=obj)
        connection = connections[using]
        meta = self.model._meta
        obj._prepare_related_fields_for_save(operation_name="save")
        signals.pre_save.send(sender=self.model, instance=obj, raw=False, using=using)
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]
        sql, returning = self._compiled(obj, using, connection)
        # As in `save()`: a failed INSERT marks the surrounding atomic block for rollback.
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            execute(cursor, sql, params)
            if connection.features.can_return_columns_from_insert:
                row = cursor.fetchone()
            else:
                pk = meta.pk
                row = [connection.ops.last_insert_id(cursor, meta.db_table, pk.column)]
        for value, field in zip(row, returning, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = using
        signals.post_save.send(
            sender=self.model,
            instance=obj,
            created=True,
            update_fields=None,
            raw=False,
            using=using,
        )
        return obj
