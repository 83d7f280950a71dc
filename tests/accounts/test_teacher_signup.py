"""Teacher sign-up: new person, attach by ID, refusals with specific messages, audit, mail."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from inservice.accounts.models import Teacher, User
from inservice.accounts.services import teachers as services
from inservice.core import idnumbers
from inservice.core.errors import DomainError
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from tests.factories import TeacherFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/accounts/signup/teacher/"
PASSWORD = "Sturdy-Lesson-Plan-42"


def form_data(unit=None, **overrides):
    data = {
        "real_name": "王小明",
        "id_number": "A123456789",
        "unit_code": unit.code if unit is not None else "",
        "title": "15-4",
        "username": "wangxm",
        "email": "wang@mail.example",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


def test_urls_are_where_the_brief_says():
    assert reverse("accounts:signup") == "/accounts/signup/"
    assert reverse("accounts:signup_teacher") == URL
    assert reverse("accounts:teacher_home") == "/accounts/teacher/"
    assert reverse("accounts:unit_teacher_new") == "/accounts/unit/teachers/new/"
    assert reverse("accounts:unit_teachers") == "/accounts/unit/teachers/"


def test_choice_page_explains_both_kinds(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "教師個人帳號" in body and "業務帳號" in body
    assert reverse("accounts:signup_teacher") in body
    assert reverse("accounts:staff_apply") in body


def test_form_page_shows_the_personal_data_notice(client):
    body = client.get(URL).content.decode()
    assert "109" in body and "教育或訓練行政" in body
    for right in ("查詢或閱覽", "製給複製本", "補充或更正", "停止", "刪除"):
        assert right in body
    assert 'name="consent"' in body
    # Title choices come from the code table (15-x).
    assert 'value="15-4"' in body and "合格專任教師" in body


def test_new_person_signs_up_and_is_logged_in(client):
    unit = UnitFactory()
    response = client.post(URL, form_data(unit))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:teacher_home")

    user = User.objects.get(username="wangxm")
    assert user.kind == User.Kind.TEACHER and user.real_name == "王小明"
    assert user.email_verified_at is None
    assert user.check_password(PASSWORD)
    teacher = user.teacher
    assert teacher.serving_unit == unit and teacher.title == "15-4"
    assert teacher.id_number_digest == idnumbers.digest("A123456789")
    assert idnumbers.decrypt(teacher.id_number_encrypted) == "A123456789"
    assert teacher.privacy_consent_at is not None
    assert teacher.privacy_consent_version == services.PRIVACY_NOTICE_VERSION

    home = client.get(reverse("accounts:teacher_home"))
    assert home.status_code == 200
    assert teacher.personal_identifier in home.content.decode()
    assert "A123456789" not in home.content.decode()

    event = AuditEvent.objects.get(action="teacher.signed_up")
    assert event.actor == user and event.object_id == str(teacher.pk)
    assert event.data["attached"] is False
    assert not AuditEvent.objects.filter(action="teacher.attached").exists()

    mail = OutboundEmail.objects.get(template="teacher_verify_email")
    assert mail.to == "wang@mail.example"
    assert "/accounts/verify-email/" in mail.body_text
    for row in (mail.body_text, mail.body_html, mail.subject, str(event.data)):
        assert "A123456789" not in row


def test_id_number_is_accepted_in_any_typed_form(client):
    unit = UnitFactory()
    client.post(URL, form_data(unit, id_number=" ａ１２３ ４５６７８９ "))
    teacher = Teacher.objects.get()
    assert teacher.id_number_digest == idnumbers.digest("A123456789")


def test_attach_to_the_person_the_school_entered(client):
    unit = UnitFactory()
    existing = TeacherFactory(
        id_number="A123456789", name="王小明", serving_unit=unit, title="15-3", subjects="數學"
    )
    response = client.post(URL, form_data(unit, id_number="a123456789", real_name="王 小明"))
    assert response.status_code == 302

    assert Teacher.objects.count() == 1
    existing.refresh_from_db()
    user = User.objects.get(username="wangxm")
    assert existing.user == user
    # The school's record is kept: same person, same identifier, same title and subjects.
    assert existing.title == "15-3" and existing.subjects == "數學"
    assert existing.serving_unit == unit

    attached = AuditEvent.objects.get(action="teacher.attached")
    assert attached.object_id == str(existing.pk) and attached.actor == user
    assert attached.before["user"] is None and attached.after["user"] == user.pk
    assert AuditEvent.objects.get(action="teacher.signed_up").data["attached"] is True
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("先前登錄的教師資料" in m for m in messages)


def test_attach_keeps_the_recorded_unit_and_says_so(client):
    school, other = UnitFactory(), UnitFactory()
    existing = TeacherFactory(id_number="A123456789", name="王小明", serving_unit=school)
    response = client.post(URL, form_data(other), follow=True)
    existing.refresh_from_db()
    assert existing.serving_unit == school
    assert f"您的服務單位為「{school.name}」" in response.content.decode()


def test_attach_to_a_teacher_who_left_takes_the_chosen_unit(client):
    old, new = UnitFactory(), UnitFactory()
    existing = TeacherFactory(id_number="A123456789", name="王小明", serving_unit=None)
    existing.left_unit = old
    existing.save()
    client.post(URL, form_data(new))
    existing.refresh_from_db()
    assert existing.serving_unit == new and existing.user is not None


def test_name_mismatch_is_refused(client):
    unit = UnitFactory()
    existing = TeacherFactory(id_number="A123456789", name="王小明", serving_unit=unit)
    response = client.post(URL, form_data(unit, real_name="王大明"))
    assert response.status_code == 200
    assert errors_of(response, "real_name") == [str(services.NAME_MISMATCH)]
    assert "請聯絡您的服務學校" in errors_of(response, "real_name")[0]
    assert not User.objects.filter(username="wangxm").exists()
    existing.refresh_from_db()
    assert existing.user is None
    assert not AuditEvent.objects.filter(action__startswith="teacher.").exists()


def test_person_who_already_has_a_login_is_pointed_to_forgot_password(client):
    unit = UnitFactory()
    TeacherFactory(
        id_number="A123456789",
        name="王小明",
        serving_unit=unit,
        user=UserFactory(real_name="王小明"),
    )
    response = client.post(URL, form_data(unit))
    assert response.status_code == 200
    (error,) = errors_of(response, "id_number")
    assert error == str(services.ALREADY_HAS_LOGIN)
    assert "忘記密碼" in error
    assert reverse("accounts:password_reset") in response.content.decode()
    assert not User.objects.filter(username="wangxm").exists()


def test_second_sign_up_with_the_same_id_is_refused(client):
    unit = UnitFactory()
    client.post(URL, form_data(unit))
    client.logout()
    response = client.post(URL, form_data(unit, username="wangxm2", email="w2@mail.example"))
    assert errors_of(response, "id_number") == [str(services.ALREADY_HAS_LOGIN)]
    assert Teacher.objects.count() == 1 and User.objects.count() == 1


def test_username_taken(client):
    UserFactory(username="WangXM")
    response = client.post(URL, form_data(UnitFactory()))
    assert errors_of(response, "username") == ["此帳號已有人使用，請改用其他帳號。"]
    assert not Teacher.objects.exists()


@pytest.mark.parametrize(
    "value, reason",
    [
        ("A123456788", "檢查碼錯誤，請確認證號是否輸入正確。"),
        ("A12345678", "證號須為 10 碼，目前為 9 碼。"),
        ("1123456789", "第 1 碼須為英文字母。"),
        ("A323456789", "第 2 碼須為 1、2（身分證）、8、9（新式居留證號）或 A–D（舊式居留證號）。"),
        ("A12345678X", "第 3 到第 10 碼須為數字。"),
    ],
)
def test_bad_id_number_shows_the_exact_reason(client, value, reason):
    response = client.post(URL, form_data(UnitFactory(), id_number=value))
    assert errors_of(response, "id_number") == [reason]
    assert reason in response.content.decode()
    assert not User.objects.exists()


def test_resident_numbers_can_sign_up(client):
    unit = UnitFactory()
    client.post(URL, form_data(unit, id_number="AB12345677", real_name="John Smith"))
    teacher = Teacher.objects.get()
    assert teacher.id_number_kind == idnumbers.RESIDENT_OLD


def test_unknown_unit_code(client):
    response = client.post(URL, form_data(None, unit_code="NOPE999"))
    assert errors_of(response, "unit_code") == [
        "查無單位代碼「NOPE999」，請由清單中選擇您的服務學校。"
    ]
    assert not User.objects.exists()


def test_inactive_unit(client):
    unit = UnitFactory(is_active=False, name="已裁併國小")
    response = client.post(URL, form_data(unit))
    assert errors_of(response, "unit_code") == [
        f"「已裁併國小」（{unit.code}）已裁併或停辦，無法選為服務單位。"
    ]


def test_picker_value_with_name_is_accepted(client):
    unit = UnitFactory()
    client.post(URL, form_data(None, unit_code=f"{unit.code} {unit.name}"))
    assert Teacher.objects.get().serving_unit == unit


def test_unit_or_no_unit_must_be_chosen(client):
    response = client.post(URL, form_data(None))
    assert errors_of(response, "unit_code") == [
        "請選擇服務單位；若目前沒有服務學校，請勾選「無服務學校」。"
    ]
    response = client.post(URL, form_data(UnitFactory(), no_serving_unit="on"))
    assert errors_of(response, "no_serving_unit") == ["已選擇服務單位時，請勿勾選「無服務學校」。"]


def test_sign_up_without_a_serving_unit(client):
    response = client.post(URL, form_data(None, no_serving_unit="on"))
    assert response.status_code == 302
    teacher = Teacher.objects.get()
    assert teacher.serving_unit is None and not teacher.has_serving_unit
    body = client.get(reverse("accounts:teacher_home")).content.decode()
    assert "無服務學校" in body and "教師資料登錄" in body


def test_consent_is_required(client):
    response = client.post(URL, form_data(UnitFactory(), consent=None))
    assert errors_of(response, "consent") == ["須同意個人資料蒐集告知事項才能申請帳號。"]
    assert not User.objects.exists()


def test_password_rules_apply(client):
    unit = UnitFactory()
    response = client.post(URL, form_data(unit, password1="12345678", password2="12345678"))
    assert errors_of(response, "password1")
    response = client.post(URL, form_data(unit, password2=PASSWORD + "x"))
    assert errors_of(response, "password2") == ["兩次輸入的密碼不一致。"]
    response = client.post(
        URL, form_data(unit, password1="wang@mail.example", password2="wang@mail.example")
    )
    assert errors_of(response, "password1")
    assert not User.objects.exists()


def test_logged_in_user_is_sent_home(client):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_with_a_parallel_sign_up_of_the_same_person(client):
    """The other request's row is not yet committed when we look: the unique digest refuses our
    insert, and the form says the person already has a login."""
    from tests.accounts.test_teacher_unit import UncommittedTeacher

    unit = UnitFactory()
    with UncommittedTeacher("A123456789"):
        response = client.post(URL, form_data(unit))
    assert errors_of(response, "id_number") == [str(services.ALREADY_HAS_LOGIN)]
    assert not User.objects.exists()
    assert Teacher.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_sign_ups_with_the_same_id_make_one_person():
    unit = UnitFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def run(n):
        try:
            barrier.wait(timeout=5)
            services.sign_up_teacher(
                real_name="王小明",
                id_number="A123456789",
                serving_unit=unit,
                title="15-4",
                username=f"wang{n}x",
                email=f"w{n}@mail.example",
                password=PASSWORD,
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_has_login", "ok"]
    assert Teacher.objects.count() == 1 and User.objects.count() == 1
