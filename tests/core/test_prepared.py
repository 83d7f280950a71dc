"""Prepared queries (core/prepared.py) give exactly what the ORM gives, compile once, and are
used where they matter: the logged-in account on every request, the course of a
registration."""

from unittest import mock

import pytest
from django.contrib.auth import get_user
from django.db import DataError, connection, transaction
from django.db.models import Q, Value
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inservice.accounts.backends import AccountBackend
from inservice.accounts.models import Teacher, User
from inservice.core import prepared
from inservice.core.models import AuditEvent
from inservice.core.prepared import PreparedInsert, PreparedQuery
from inservice.enrollment.services import registration as services
from inservice.organizations.models import County
from tests.factories import UnitFactory, make_staff, make_teacher_user, open_course


def _unit():
    return UnitFactory(county=County.objects.get(code="63000"))


def _fields(obj):
    """Every loaded (not deferred) field's value."""
    deferred = obj.get_deferred_fields()
    loaded = [f.attname for f in obj._meta.concrete_fields if f.attname not in deferred]
    return {name: getattr(obj, name) for name in loaded} | {"_deferred": sorted(deferred)}


@pytest.mark.django_db
def test_user_with_teacher_is_the_orms_and_its_teacher_costs_no_query():
    user = make_teacher_user(UnitFactory())
    orm = User.objects.select_related("teacher").get(pk=user.pk)
    with CaptureQueriesContext(connection) as captured:
        prepared = AccountBackend().get_user(user.pk)
        teacher = prepared.teacher
    assert len(captured) == 1
    assert _fields(prepared) == _fields(orm)
    assert _fields(teacher) == _fields(orm.teacher)
    assert teacher.user is prepared


@pytest.mark.django_db
def test_staff_account_without_teacher_row():
    staff = make_staff(UnitFactory()).user
    prepared = AccountBackend().get_user(staff.pk)
    assert _fields(prepared) == _fields(User.objects.get(pk=staff.pk))
    with CaptureQueriesContext(connection) as captured:
        assert not hasattr(prepared, "teacher")  # cached as missing: no query
    assert len(captured) == 0


@pytest.mark.django_db
def test_backend_takes_the_sessions_text_key_and_refuses_bad_or_inactive():
    user = make_teacher_user(UnitFactory())
    backend = AccountBackend()
    assert backend.get_user(str(user.pk)).pk == user.pk
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(user.pk + 10_000) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(user.pk) is None


@pytest.mark.django_db
def test_request_user_comes_from_the_prepared_query(client):
    user = make_teacher_user(UnitFactory())
    client.force_login(user)
    request = client.get(reverse("accounts:login")).wsgi_request
    assert get_user(request).pk == user.pk


@pytest.mark.django_db
def test_course_to_register_matches_the_orm_with_the_same_deferred_fields():
    course = open_course(_unit())
    registration_options = services.options_for(course)
    teacher = make_teacher_user(_unit()).teacher
    orm = services.courses_to_register(teacher.pk).get(code=course.code)
    prepared = services.course_to_register(course.code, teacher)
    assert _fields(prepared) == _fields(orm)
    with CaptureQueriesContext(connection) as captured:
        related = (prepared.published, prepared.unit, prepared.unit.county, prepared.enrollment)
        assert _fields(related[0]) == _fields(orm.published)
        assert _fields(related[1]) == _fields(orm.unit)
        assert related[2] == orm.unit.county
        assert _fields(related[3]) == _fields(registration_options)
        assert prepared.existing_registration_id is None
    assert len(captured) == 0
    assert services.course_to_register(course.code + 1_000_000, teacher) is None
    # The teacher's earlier registration comes with the course, only for that teacher.
    registration = services.register(actor=teacher.user, course=course).registration
    assert services.course_to_register(course.code, teacher).existing_registration_id == (
        registration.pk
    )
    other = make_teacher_user(_unit()).teacher
    assert services.course_to_register(course.code, other).existing_registration_id is None


@pytest.mark.django_db
def test_register_view_404_for_an_unknown_course(client):
    user = make_teacher_user(UnitFactory())
    client.force_login(user)
    response = client.post(reverse("enrollment:register", args=[123456789012]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_compiled_once_then_only_the_value_changes():
    users = [make_teacher_user(UnitFactory()) for _ in range(3)]
    query = PreparedQuery(lambda pk: User.objects.select_related("teacher").filter(pk=pk))
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql):
        with CaptureQueriesContext(connection) as captured:
            found = [query.get(u.pk) for u in users]
        assert SQLCompiler.as_sql.call_count == 1
    assert [u.pk for u in found] == [u.pk for u in users]
    assert len(captured) == 3
    assert len({prepared.source(q["sql"]) for q in captured}) == 1


@pytest.mark.django_db
def test_row_converters_are_found_once_per_connection():
    users = [make_teacher_user(UnitFactory()) for _ in range(3)]
    query = PreparedQuery(lambda pk: User.objects.select_related("teacher").filter(pk=pk))
    spy = mock.patch.object(
        SQLCompiler, "get_converters", autospec=True, side_effect=SQLCompiler.get_converters
    )
    with spy:
        found = [query.get(u.pk) for u in users]
        assert SQLCompiler.get_converters.call_count == 1
    orm = [User.objects.select_related("teacher").get(pk=u.pk) for u in users]
    assert [_fields(u) for u in found] == [_fields(u) for u in orm]
    assert [_fields(u.teacher) for u in found] == [_fields(u.teacher) for u in orm]


@pytest.mark.django_db
def test_refuses_values_of_another_type_and_queries_it_cannot_prepare():
    query = PreparedQuery(lambda pk: User.objects.filter(pk=pk))
    with pytest.raises(TypeError):
        query.get("1")
    unused = PreparedQuery(lambda pk: User.objects.filter(pk=1))
    with pytest.raises(ValueError):
        unused.get(1)
    with pytest.raises(TypeError):
        PreparedQuery(lambda day: User.objects.filter(date_joined__date=day), value_type=float)


@pytest.mark.django_db
def test_a_value_used_twice_goes_to_both_places():
    user = make_teacher_user(UnitFactory())
    both = PreparedQuery(lambda pk: User.objects.filter(Q(pk=pk) & Q(teacher__user_id=pk)))
    assert both.get(user.pk).pk == user.pk
    assert both.get(user.pk + 1) is None


@pytest.mark.django_db
def test_a_share_lock_is_made_from_a_select_for_update_queryset():
    user = make_teacher_user(UnitFactory())
    shared = PreparedQuery(lambda pk: User.objects.select_for_update().filter(pk=pk), share=True)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        assert shared.get(user.pk).pk == user.pk
    assert prepared.source(captured[-1]["sql"]).endswith(" FOR SHARE")
    unlocked = PreparedQuery(lambda pk: User.objects.filter(pk=pk), share=True)
    with pytest.raises(ValueError):
        unlocked.get(user.pk)


@pytest.mark.django_db
def test_more_than_one_row_is_an_error_like_get():
    unit = UnitFactory()
    make_teacher_user(unit)
    make_teacher_user(unit)
    query = PreparedQuery(lambda unit_pk: User.objects.filter(teacher__serving_unit_id=unit_pk))
    with pytest.raises(User.MultipleObjectsReturned):
        query.get(unit.pk)


# --- server-side prepared statements (PostgreSQL) -------------------------------------------


def _run(sql, params):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_statements_are_prepared_once_and_then_executed():
    with CaptureQueriesContext(connection) as captured:
        first = _run("SELECT %s::int + 1, 'a%%b'", [1])
        second = _run("SELECT %s::int + 1, 'a%%b'", [41])
    assert first == [(2, "a%b")] and second == [(42, "a%b")]
    sent = [q["sql"] for q in captured]
    assert all(s.startswith("EXECUTE inservice_") for s in sent), sent  # the PREPARE is not
    assert prepared.source(sent[0]) == "SELECT $1::int + 1, 'a%b'"


@pytest.mark.django_db
def test_named_parameters_repeated_are_one_parameter():
    rows = _run("SELECT %(a)s::int + %(b)s::int + %(a)s::int", {"a": 1, "b": 10})
    assert rows == [(12,)]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    assert _run("SELECT %s::int * 2", [2]) == [(4,)]
    connection.close()
    assert _run("SELECT %s::int * 2", [3]) == [(6,)]


@pytest.mark.django_db(transaction=True)
def test_prepared_inside_a_rolled_back_transaction_stays_prepared():
    with transaction.atomic():
        assert _run("SELECT %s::int * 3", [1]) == [(3,)]
        transaction.set_rollback(True)
    assert _run("SELECT %s::int * 3", [2]) == [(6,)]


@pytest.mark.django_db
def test_a_statement_postgresql_cannot_prepare_runs_as_it_is():
    # Two parameters of unknown type: PREPARE cannot choose the operator (the literals sent
    # unprepared are integers). It is refused in a savepoint, so the transaction goes on, and
    # the statement runs unprepared from then on.
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            assert _run("SELECT %s + %s", [1, 2]) == [(3,)]
            assert _run("SELECT %s + %s", [3, 4]) == [(7,)]
        assert [q["sql"] for q in captured] == ["SELECT 1 + 2", "SELECT 3 + 4"]
        assert User.objects.count() >= 0  # the transaction is still usable


@pytest.mark.django_db
def test_turned_off_sends_the_sql_itself(settings):
    settings.DB_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as captured:
        assert _run("SELECT %s::int - 1", [1]) == [(0,)]
    assert captured[0]["sql"] == "SELECT 1::int - 1"


@pytest.mark.django_db
def test_placeholders_of_both_kinds_are_refused():
    with pytest.raises(ValueError), connection.cursor() as cursor:
        prepared.execute(cursor, "SELECT %s, %(a)s", {"a": 1})


# --- prepared inserts ------------------------------------------------------------------------


def _row(obj) -> dict:
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    values.pop("id")
    values.pop("created_at")
    return values


@pytest.mark.django_db
def test_prepared_insert_stores_what_create_stores():
    user = make_teacher_user(UnitFactory())
    values = {
        "actor": user,
        "actor_label": "教師",
        "action": "test.prepared",
        "object_type": "accounts.user",
        "object_id": str(user.pk),
        "object_repr": "教師",
        "after": {"status": "admitted", "名單": [1, 2]},
        "data": {},
        "ip": "192.0.2.1",
        "user_agent": "pytest",
    }
    prepared_insert = PreparedInsert(AuditEvent)
    made = prepared_insert.create(**values)
    orm = AuditEvent.objects.create(**values)
    assert made.pk and made.pk != orm.pk
    assert not made._state.adding and made._state.db == "default"
    assert made.created_at is not None  # auto_now_add, as save() fills it
    stored = AuditEvent.objects.get(pk=made.pk)
    assert _row(stored) == _row(AuditEvent.objects.get(pk=orm.pk)) == _row(made)
    assert stored.before is None and stored.after == {"status": "admitted", "名單": [1, 2]}


@pytest.mark.django_db
def test_prepared_insert_sends_the_save_signals_and_is_prepared():
    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.pk))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", created, instance.pk))

    pre_save.connect(pre, sender=AuditEvent, dispatch_uid="test-prepared-pre")
    post_save.connect(post, sender=AuditEvent, dispatch_uid="test-prepared-post")
    try:
        with CaptureQueriesContext(connection) as captured:
            made = PreparedInsert(AuditEvent).create(action="test.signals", actor_label="system")
    finally:
        pre_save.disconnect(dispatch_uid="test-prepared-pre", sender=AuditEvent)
        post_save.disconnect(dispatch_uid="test-prepared-post", sender=AuditEvent)
    assert seen == [("pre", None), ("post", True, made.pk)]
    [sent] = [q["sql"] for q in captured]
    assert prepared.source(sent).startswith('INSERT INTO "core_auditevent"')


@pytest.mark.django_db
def test_prepared_insert_refuses_expressions_and_models_it_cannot_compile():
    with pytest.raises(TypeError):
        PreparedInsert(AuditEvent).create(action=Value("x"), actor_label="system")
    assert not AuditEvent.objects.filter(actor_label="system", action="x").exists()
    with pytest.raises(ValueError):
        PreparedInsert(Teacher)  # its encrypted ID number is a binary field


@pytest.mark.django_db
def test_a_failed_prepared_insert_marks_the_transaction_for_rollback_as_save_does():
    with transaction.atomic():
        with pytest.raises(DataError):  # the action is longer than its column
            PreparedInsert(AuditEvent).create(action="x" * 101, actor_label="system")
        assert transaction.get_rollback()
