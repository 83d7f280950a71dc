"""Applying for a staff account: the form, its specific messages, mails, re-application."""

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, User
from inservice.accounts.services import staff as service
from inservice.core.errors import DomainError, ValidationFailed
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from inservice.organizations import reference
from inservice.organizations.models import County, UnitKind
from tests.factories import UnitFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "Tide-Lantern-4417"


@pytest.fixture
def school():
    return UnitFactory(kind=UnitKind.ELEMENTARY, county=County.objects.get(code="63000"))


@pytest.fixture
def bureau(school):
    return reference.county_bureau(school.county)


def form_data(unit, **overrides):
    data = {
        "unit_code": unit.code,
        "role": "contact",
        "real_name": "王小明",
        "job_title": "教務組長",
        "email": "wang@school.example",
        "phone": "02-2345-6789",
        "username": "wangxm",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "consent": "on",
    }
    data.update(overrides)
    return data


def apply(unit, **overrides):
    data = form_data(unit, **overrides)
    for key in ("password_confirm", "consent"):
        data.pop(key)
    return service.apply_for_staff_account(actor=None, **data)


def test_apply_creates_pending_staff_and_mails_applicant_and_approver(school):
    chief = make_staff(school, StaffRole.CHIEF)
    profile = apply(school)
    assert profile.status == StaffStatus.PENDING and profile.role == "contact"
    assert profile.unit == school and profile.job_title == "教務組長"
    user = profile.user
    assert user.kind == User.Kind.STAFF and user.real_name == "王小明"
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD
    mails = {m.template: m.to for m in OutboundEmail.objects.all()}
    assert mails == {"staff_applied": user.email, "staff_approval_requested": chief.user.email}
    to_applicant = OutboundEmail.objects.get(template="staff_applied")
    assert f"{school.name} 總負責人" in to_applicant.body_text
    event = AuditEvent.objects.get(action="staff.applied")
    assert event.object_id == str(profile.pk) and event.after["unit"] == school.code
    assert "password" not in str(event.after)


def test_chief_application_mails_the_regional_center(school, bureau):
    manager = make_staff(bureau, StaffRole.CONTACT)
    make_staff(bureau, StaffRole.OPERATOR)  # no 轄下單位帳號管理: not told
    apply(school, role="chief")
    requested = OutboundEmail.objects.filter(template="staff_approval_requested")
    assert [m.to for m in requested] == [manager.user.email]


def test_unknown_unit_code(school):
    with pytest.raises(ValidationFailed) as exc:
        apply(school, unit_code="NOPE-123")
    assert exc.value.field == "unit_code"
    assert "查無單位代碼「NOPE-123」" in str(exc.value.message)


def test_inactive_unit(school):
    school.is_active = False
    school.save()
    with pytest.raises(ValidationFailed) as exc:
        apply(school)
    assert exc.value.field == "unit_code"
    assert "已裁併或停用" in str(exc.value.message)


def test_code_typed_with_the_picker_suffix_and_case(school):
    profile = apply(school, unit_code=f"  {school.code.lower()} {school.name}")
    assert profile.unit == school


def test_duplicate_username(school):
    UserFactory(username="wangxm")
    with pytest.raises(ValidationFailed) as exc:
        apply(school, username="WangXM")
    assert exc.value.field == "username"
    assert "已有人使用" in str(exc.value.message)
    assert not StaffProfile.objects.exists()


def test_second_active_chief_is_refused_at_application(school):
    make_staff(school, StaffRole.CHIEF)
    with pytest.raises(DomainError) as exc:
        apply(school, role="chief")
    assert exc.value.code == "chief_exists" and exc.value.field == "role"
    assert "已有啟用中的總負責人" in str(exc.value.message)


def test_chief_application_allowed_when_the_old_chief_is_deactivated(school):
    make_staff(school, StaffRole.CHIEF, StaffStatus.DEACTIVATED)
    assert apply(school, role="chief").role == "chief"


@pytest.mark.parametrize(
    ("password", "username"),
    [("short1!", "wangxm"), ("taipeischool1", "taipeischool"), ("12345678901234", "wangxm")],
    ids=["too-short", "like-the-username", "all-digits"],
)
def test_password_validators_apply(school, password, username):
    with pytest.raises(ValidationFailed) as exc:
        apply(school, password=password, username=username)
    assert exc.value.field == "password"
    assert not User.objects.filter(username=username).exists()


# ------------------------------------------------------------------------- re-application


def _close(profile, status):
    profile.status = status
    profile.save()
    profile.user.is_active = False
    profile.user.save()


@pytest.mark.parametrize("status", [StaffStatus.DEACTIVATED, StaffStatus.REJECTED])
def test_reapply_with_same_username_and_password(school, status):
    first = apply(school)
    _close(first, status)
    other = UnitFactory(kind=UnitKind.JUNIOR_HIGH, county=school.county)
    again = apply(other, role="operator", email="new@school.example", password=PASSWORD)
    assert again.pk == first.pk and again.user_id == first.user_id
    assert again.status == StaffStatus.PENDING and again.unit == other
    assert again.role == "operator" and again.user.email == "new@school.example"
    assert again.user.is_active and again.decided_at is None
    assert AuditEvent.objects.filter(action="staff.applied").count() == 2


def test_reapply_with_wrong_password_is_refused(school):
    first = apply(school)
    _close(first, StaffStatus.DEACTIVATED)
    with pytest.raises(ValidationFailed) as exc:
        apply(school, password="Another-Password-99")
    assert exc.value.field == "password"
    assert "原本的密碼" in str(exc.value.message)
    first.refresh_from_db()
    assert first.status == StaffStatus.DEACTIVATED


def test_reapply_while_pending_or_active_is_refused(school):
    first = apply(school)
    with pytest.raises(ValidationFailed) as exc:
        apply(school)
    assert "正在審核中" in str(exc.value.message)
    first.status = StaffStatus.ACTIVE
    first.save()
    with pytest.raises(ValidationFailed) as exc:
        apply(school)
    assert "已有人使用" in str(exc.value.message)


def test_a_teacher_username_cannot_be_taken_over(school):
    UserFactory(username="wangxm", kind=User.Kind.TEACHER)
    with pytest.raises(ValidationFailed) as exc:
        apply(school, password="correct-horse-battery-9")
    assert "已有人使用" in str(exc.value.message)


# ------------------------------------------------------------------------------- HTTP


def test_apply_page_is_public_and_accessible(client, school):
    response = client.get(reverse("accounts:staff_apply"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("unit_code", "real_name", "username", "password", "email", "consent"):
        assert f'name="{name}"' in html
    assert 'for="id_unit_code"' in html and "<legend>申請帳號類別</legend>" in html
    assert 'id="unit-options"' in html


def test_apply_by_http_then_done_page(client, school):
    make_staff(school, StaffRole.CHIEF)
    response = client.post(reverse("accounts:staff_apply"), form_data(school))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:staff_apply_done")
    done = client.get(response["Location"]).content.decode()
    assert school.name in done and "總負責人" in done and "wang@school.example" in done
    assert StaffProfile.objects.get(user__username="wangxm").status == StaffStatus.PENDING


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"unit_code": "ZZ-404"}, "查無單位代碼"),
        ({"username": "taken1"}, "已有人使用"),
        ({"role": "chief"}, "已有啟用中的總負責人"),
        ({"consent": ""}, "請勾選同意"),
        ({"password_confirm": "Different-99x"}, "兩次輸入的密碼不一致"),
        ({"username": "1abc"}, "帳號須以英文字母開頭"),
    ],
)
def test_apply_errors_are_shown_on_the_form(client, school, overrides, message):
    make_staff(school, StaffRole.CHIEF)
    UserFactory(username="taken1")
    response = client.post(reverse("accounts:staff_apply"), form_data(school, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StaffProfile.objects.filter(user__username=overrides.get("username", "wangxm"))


def test_signed_up_staff_cannot_use_functions_before_approval(client, school):
    profile = apply(school)
    client.force_login(profile.user)
    home = client.get(reverse("accounts:staff_home"))
    assert home.status_code == 200
    assert "正在等待" in home.content.decode()
    assert client.get(reverse("accounts:staff_unit")).status_code == 403
