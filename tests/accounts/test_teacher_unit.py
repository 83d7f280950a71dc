"""School side: 教師資料登錄 (create / update / move in / refuse), own-unit list and detail,
轉出, and reach: other units' teachers are 404, other roles and unit kinds 403."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from inservice.accounts.models import StaffRole, Teacher
from inservice.accounts.services import teachers as services
from inservice.core import idnumbers
from inservice.core.errors import DomainError
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import UnitKind
from tests.factories import StaffFactory, TeacherFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "/accounts/unit/teachers/new/"
LIST = "/accounts/unit/teachers/"


@pytest.fixture
def school():
    return UnitFactory(name="測試國小")


@pytest.fixture
def staff(school):
    return StaffFactory(unit=school, role=StaffRole.CONTACT)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff.user)
    return client


def entry(**overrides):
    data = {
        "name": "陳美玲",
        "id_number": "B200000004",
        "sex": "F",
        "birth_date": "1985-04-12",
        "title": "15-4",
        "subjects": "國語、數學",
    }
    data.update(overrides)
    return data


def errors_of(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


# --- 教師資料登錄 --------------------------------------------------------------------------


def test_entry_form_renders(staff_client):
    response = staff_client.get(NEW)
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("name", "id_number", "sex", "birth_date", "title", "subjects"):
        assert f'name="{name}"' in body


def test_create_teacher_without_login(staff_client, school, staff):
    response = staff_client.post(NEW, entry())
    teacher = Teacher.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:unit_teacher_detail", args=[teacher.pk])
    assert "B200000004" not in response["Location"]
    assert teacher.user is None and teacher.serving_unit == school
    assert (
        teacher.name == "陳美玲" and teacher.sex == "F" and str(teacher.birth_date) == "1985-04-12"
    )
    assert teacher.title == "15-4" and teacher.subjects == "國語、數學"
    assert teacher.id_number_hint == "B******004"
    assert idnumbers.decrypt(teacher.id_number_encrypted) == "B200000004"

    event = AuditEvent.objects.get(action="teacher.entered")
    assert event.actor == staff.user and event.object_id == str(teacher.pk)
    assert event.after["birth_date"] == "***"  # masked in the audit trail
    assert "B200000004" not in str(event.after) + str(event.data)


def test_bad_id_number_gives_exact_reason(staff_client):
    response = staff_client.post(NEW, entry(id_number="B200000005"))
    assert errors_of(response, "id_number") == ["檢查碼錯誤，請確認證號是否輸入正確。"]
    assert not Teacher.objects.exists()


def test_birth_date_in_the_future_is_refused(staff_client):
    response = staff_client.post(NEW, entry(birth_date="2999-01-01"))
    assert errors_of(response, "birth_date") == ["出生日期不能晚於今天。"]


def test_same_id_in_the_unit_updates_the_person(staff_client, school):
    existing = TeacherFactory(
        id_number="B200000004", name="陳美玲", serving_unit=school, title="15-5"
    )
    response = staff_client.post(
        NEW, entry(id_number=" b２０００００００４ ", title="15-3", subjects="自然")
    )
    assert response.status_code == 302
    assert Teacher.objects.count() == 1
    existing.refresh_from_db()
    assert existing.title == "15-3" and existing.subjects == "自然"
    event = AuditEvent.objects.get(action="teacher.updated")
    assert event.before["title"] == "15-5" and event.after["title"] == "15-3"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["此證號已是本單位教師「陳美玲」，已更新其資料。"]


def test_update_in_unit_keeps_user_name_in_step(staff_client, school):
    user = UserFactory(real_name="陳美玲")
    TeacherFactory(id_number="B200000004", name="陳美玲", serving_unit=school, user=user)
    staff_client.post(NEW, entry(name="陳美齡"))
    user.refresh_from_db()
    assert user.real_name == "陳美齡"


def test_teacher_serving_elsewhere_is_refused(staff_client, school):
    other = UnitFactory(name="隔壁國中")
    existing = TeacherFactory(id_number="B200000004", name="陳美玲", serving_unit=other)
    response = staff_client.post(NEW, entry())
    assert response.status_code == 200
    (error,) = errors_of(response, "id_number")
    assert "「隔壁國中」" in error and "轉出" in error
    existing.refresh_from_db()
    assert existing.serving_unit == other
    assert Teacher.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="teacher.").exists()


def test_teacher_who_left_is_moved_in(staff_client, school, staff):
    old = UnitFactory()
    existing = TeacherFactory(id_number="B200000004", name="陳美玲", serving_unit=None)
    existing.left_unit = old
    existing.save()
    response = staff_client.post(NEW, entry(subjects=""))
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.serving_unit == school
    assert existing.left_unit is None and existing.left_at is None
    event = AuditEvent.objects.get(action="teacher.moved_in")
    assert event.data == {"unit": school.code, "from_unit": old.code}
    assert event.before["serving_unit"] is None and event.after["serving_unit"] == school.code
    assert [str(m) for m in response.wsgi_request._messages] == ["已將教師「陳美玲」轉入本單位。"]


def test_move_in_with_another_name_is_refused(staff_client):
    existing = TeacherFactory(id_number="B200000004", name="陳美玲", serving_unit=None)
    response = staff_client.post(NEW, entry(name="林美玲"))
    assert errors_of(response, "name") == [str(services.MOVE_IN_NAME_MISMATCH)]
    existing.refresh_from_db()
    assert existing.serving_unit is None


def test_no_unit_teacher_regains_full_functions_after_move_in(client, school, staff):
    user = UserFactory()
    person = TeacherFactory(
        id_number="B200000004", name=user.real_name, user=user, serving_unit=None
    )
    client.force_login(user)
    assert client.get(reverse("accounts:teacher_profile")).status_code == 403

    services.enter_teacher(actor=staff.user, name=user.real_name, id_number="B200000004")
    person.refresh_from_db()
    assert person.serving_unit == school
    assert client.get(reverse("accounts:teacher_profile")).status_code == 200


def test_the_unique_digest_never_makes_two_people(school, staff):
    services.enter_teacher(actor=staff.user, name="陳美玲", id_number="B200000004")
    services.enter_teacher(actor=staff.user, name="陳美玲", id_number="ｂ200000004")
    assert Teacher.objects.count() == 1
    # Even bypassing the service, the database refuses a second row for the digest.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        TeacherFactory(id_number="B200000004")


class UncommittedTeacher:
    """Another connection inserts a teacher with `id_number` and keeps its transaction open
    until some other backend is blocked waiting on it (the unique index), then commits.

    The row is invisible to our SELECT ... FOR UPDATE, so our INSERT collides with it: a real,
    deterministic race on PostgreSQL.
    """

    def __init__(self, id_number):
        self.id_number = id_number
        self.ready = threading.Event()
        self.error = None

    def _run(self):
        from django.db import transaction

        try:
            with transaction.atomic():
                TeacherFactory(id_number=self.id_number, name="搶先建立", serving_unit=None)
                self.ready.set()
                with connection.cursor() as cursor:
                    # Wait until a backend waits on *this* transaction (not any lock wait in the
                    # database, which a leftover connection of another test could satisfy).
                    cursor.execute("SELECT pg_current_xact_id()::text")
                    xid = cursor.fetchone()[0]
                    for _ in range(400):
                        cursor.execute(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' "
                            "AND NOT granted AND transactionid::text = %s",
                            [xid],
                        )
                        if cursor.fetchone()[0]:
                            break
                        threading.Event().wait(0.05)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            self.error = exc
            self.ready.set()
        finally:
            connection.close()

    def __enter__(self):
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.thread.join(15)
        assert self.error is None, self.error


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_on_the_unique_digest_becomes_a_message(client):
    school = UnitFactory()
    client.force_login(StaffFactory(unit=school).user)
    with UncommittedTeacher("B200000004"):
        response = client.post(NEW, entry())
    assert errors_of(response, "id_number") == [str(services.ENTRY_RACE)]
    assert Teacher.objects.count() == 1
    assert Teacher.objects.get().name == "搶先建立"
    assert not AuditEvent.objects.filter(action="teacher.entered").exists()
    # Sent again, the entry now finds the person (no unit, so it is a move-in... if names match).
    response = client.post(NEW, entry(name="搶先建立"))
    assert Teacher.objects.get().serving_unit == school


# --- list, detail, edit -----------------------------------------------------------------


def test_list_shows_own_unit_teachers_masked(staff_client, school):
    with_login = TeacherFactory(
        id_number="A123456789", name="王小明", serving_unit=school, user=UserFactory()
    )
    without = TeacherFactory(id_number="B200000004", name="陳美玲", serving_unit=school)
    elsewhere = TeacherFactory(name="別校老師")
    response = staff_client.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "王小明" in body and "陳美玲" in body
    assert "別校老師" not in body
    assert "A******789" in body and "B******004" in body
    assert "A123456789" not in body and "B200000004" not in body
    assert "合格專任教師" in body
    assert "已申請" in body and "未申請" in body
    assert reverse("accounts:unit_teacher_detail", args=[with_login.pk]) in body
    assert reverse("accounts:unit_teacher_detail", args=[without.pk]) in body
    assert reverse("accounts:unit_teacher_detail", args=[elsewhere.pk]) not in body

    response = staff_client.get(LIST, {"q": "美玲"})
    body = response.content.decode()
    assert "陳美玲" in body and "王小明" not in body


def test_detail_shows_personal_data_and_is_audited(staff_client, school, staff):
    person = TeacherFactory(
        id_number="B200000004", name="陳美玲", serving_unit=school, birth_date="1985-04-12"
    )
    response = staff_client.get(reverse("accounts:unit_teacher_detail", args=[person.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1985-04-12" in body and "B******004" in body
    assert "B200000004" not in body
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="teacher.personal_data_viewed")
    assert event.actor == staff.user and event.object_id == str(person.pk)
    staff_client.get(reverse("accounts:unit_teacher_detail", args=[person.pk]))
    assert AuditEvent.objects.filter(action="teacher.personal_data_viewed").count() == 2


def test_edit_updates_and_audits(staff_client, school):
    person = TeacherFactory(name="陳美玲", serving_unit=school, title="15-4")
    url = reverse("accounts:unit_teacher_edit", args=[person.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {"name": "陳美玲", "sex": "F", "birth_date": "1980-01-02", "title": "15-2", "subjects": ""},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.title == "15-2" and str(person.birth_date) == "1980-01-02"
    assert AuditEvent.objects.filter(action="teacher.updated", object_id=str(person.pk)).exists()


# --- 轉出 -----------------------------------------------------------------------------------


def test_mark_as_left(staff_client, school, staff):
    user = UserFactory(email="chen@mail.example")
    person = TeacherFactory(name="陳美玲", serving_unit=school, user=user)
    url = reverse("accounts:unit_teacher_leave", args=[person.pk])
    assert staff_client.get(url).status_code == 405

    response = staff_client.post(url)
    assert response.status_code == 302 and response["Location"] == LIST
    person.refresh_from_db()
    assert person.serving_unit is None
    assert person.left_unit == school and person.left_at is not None
    event = AuditEvent.objects.get(action="teacher.left_unit")
    assert event.actor == staff.user and event.data == {"unit": school.code}
    assert event.before["serving_unit"] == school.code and event.after["left_unit"] == school.code
    mail = OutboundEmail.objects.get(template="teacher_left_unit")
    assert mail.to == "chen@mail.example" and school.name in mail.body_text

    # Gone from the list and out of reach; the teacher is now 無服務學校.
    listing = staff_client.get(LIST).content.decode()
    assert reverse("accounts:unit_teacher_detail", args=[person.pk]) not in listing
    assert (
        staff_client.get(reverse("accounts:unit_teacher_detail", args=[person.pk])).status_code
        == 404
    )
    assert staff_client.post(url).status_code == 404


def test_left_teacher_can_be_entered_by_the_new_school(school, staff):
    person = TeacherFactory(id_number="B200000004", name="陳美玲", serving_unit=school)
    new_school = UnitFactory()
    new_staff = StaffFactory(unit=new_school)
    with pytest.raises(DomainError) as excinfo:
        services.enter_teacher(actor=new_staff.user, name="陳美玲", id_number="B200000004")
    assert excinfo.value.code == "serving_elsewhere"

    services.mark_teacher_left(actor=staff.user, pk=person.pk)
    result = services.enter_teacher(actor=new_staff.user, name="陳美玲", id_number="B200000004")
    assert result.outcome == services.EntryOutcome.MOVED_IN
    person.refresh_from_db()
    assert person.serving_unit == new_school and person.left_unit is None


# --- reach ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["unit_teacher_detail", "unit_teacher_edit", "unit_teacher_leave"])
def test_other_units_teacher_is_404(staff_client, name):
    elsewhere = TeacherFactory(name="別校老師", birth_date="1970-01-01")
    url = reverse(f"accounts:{name}", args=[elsewhere.pk])
    response = staff_client.post(url) if name == "unit_teacher_leave" else staff_client.get(url)
    assert response.status_code == 404
    assert "1970" not in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.serving_unit is not None
    assert not AuditEvent.objects.filter(action__startswith="teacher.").exists()


def test_other_units_teacher_cannot_be_updated_by_entry(staff_client):
    elsewhere = TeacherFactory(id_number="B200000004", name="陳美玲", title="15-4")
    staff_client.post(NEW, entry(title="15-2"))
    elsewhere.refresh_from_db()
    assert elsewhere.title == "15-4"


def test_operator_role_is_forbidden(client, school):
    operator = StaffFactory(unit=school, role=StaffRole.OPERATOR)
    person = TeacherFactory(serving_unit=school)
    client.force_login(operator.user)
    for url in (LIST, NEW, reverse("accounts:unit_teacher_detail", args=[person.pk])):
        assert client.get(url).status_code == 403


def test_unit_kinds_without_the_function_are_forbidden(client):
    bureau = StaffFactory(unit=UnitFactory(kind=UnitKind.COUNTY_BUREAU))
    client.force_login(bureau.user)
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403


def test_teachers_and_anonymous_cannot_use_school_pages(client, school):
    person = TeacherFactory(serving_unit=school, user=UserFactory())
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(person.user)
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.get(reverse("accounts:unit_teacher_detail", args=[person.pk])).status_code == 403


def test_pending_staff_is_forbidden(client, school):
    pending = StaffFactory(unit=school, status="pending")
    client.force_login(pending.user)
    assert client.get(LIST).status_code == 403
