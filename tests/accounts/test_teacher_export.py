"""Teacher pages and the personal-data export: access by unit state, own data only, contents."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inservice.accounts.services import teachers as services
from inservice.core.access import public, teacher
from inservice.core.models import AuditEvent
from tests.factories import StaffFactory, TeacherFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT = "/accounts/teacher/export/"


@pytest.fixture
def school():
    return UnitFactory(name="測試國小")


@pytest.fixture
def person(school):
    user = UserFactory(real_name="陳美玲", email="chen@mail.example", username="chenml")
    return TeacherFactory(
        user=user,
        name="陳美玲",
        id_number="B200000004",
        serving_unit=school,
        birth_date="1985-04-12",
        title="15-4",
        subjects="國語",
    )


@pytest.fixture
def no_unit_person():
    user = UserFactory(real_name="林無校")
    return TeacherFactory(user=user, name="林無校", serving_unit=None)


# --- access by unit state ------------------------------------------------------------------


def test_no_unit_teacher_can_look_up_records_but_not_the_rest(client, no_unit_person):
    client.force_login(no_unit_person.user)
    old = client.get(reverse("accounts:teacher_records"))
    assert old.status_code == 301 and old["Location"] == reverse("records:my_records")
    assert client.get(reverse("records:my_records")).status_code == 200
    home = client.get(reverse("accounts:teacher_home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert "目前為「無服務學校」" in body and "只能查詢研習紀錄" in body
    assert reverse("accounts:teacher_profile") not in body
    assert client.get(reverse("accounts:teacher_profile")).status_code == 403
    assert client.post(reverse("accounts:teacher_profile"), {"title": "15-4"}).status_code == 403


def test_decorators_declare_the_unit_rule():
    from inservice.accounts import views_teacher as views

    assert views.records.access_policy == "teacher"
    assert views.teacher_home.access_policy == "teacher"
    assert views.profile.access_policy == "teacher+unit"
    assert views.export.access_policy == "teacher"  # the access right does not need a school
    assert views.signup.access_policy == public(lambda r: r).access_policy
    assert teacher(needs_unit=True)(lambda r: r).access_policy == "teacher+unit"


def test_teacher_with_unit_uses_every_page(client, person):
    client.force_login(person.user)
    for name in ("teacher_home", "teacher_records", "teacher_profile", "teacher_export"):
        assert client.get(reverse(f"accounts:{name}"), follow=True).status_code == 200, name
    body = client.get(reverse("accounts:teacher_home")).content.decode()
    assert "測試國小" in body and "合格專任教師" in body
    assert person.personal_identifier in body
    assert "B200000004" not in body and "B******004" not in body
    assert reverse("accounts:password_change") in body
    assert reverse("accounts:teacher_export") in body


def test_profile_updates_title_and_subjects(client, person):
    client.force_login(person.user)
    response = client.post(
        reverse("accounts:teacher_profile"), {"title": "15-3", "subjects": "國語、社會"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.title == "15-3" and person.subjects == "國語、社會"
    event = AuditEvent.objects.get(action="teacher.profile_updated")
    assert event.before == {"title": "15-4", "subjects": "國語"}
    response = client.post(reverse("accounts:teacher_profile"), {"title": "15-777"})
    assert "title" in response.context["form"].errors


def test_staff_and_anonymous_cannot_use_teacher_pages(client, school):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(StaffFactory(unit=school).user)
    for name in ("teacher_home", "teacher_records", "teacher_profile", "teacher_export"):
        assert client.get(reverse(f"accounts:{name}")).status_code == 403, name
    assert client.post(EXPORT, {"format": "json"}).status_code == 403


def test_teacher_kind_without_a_person_is_refused(client):
    client.force_login(UserFactory())  # a teacher login with no Teacher row
    assert client.get(reverse("accounts:teacher_home")).status_code == 403


# --- export --------------------------------------------------------------------------------


def test_export_page_is_a_form_without_personal_data(client, person):
    client.force_login(person.user)
    response = client.get(EXPORT)
    body = response.content.decode()
    assert 'method="post"' in body
    assert 'value="json"' in body and 'value="xlsx"' in body
    assert "B200000004" not in body and "1985" not in body
    assert not AuditEvent.objects.filter(action="teacher.data_exported").exists()


def test_json_export_contains_everything_about_me(client, person, school):
    staff = StaffFactory(unit=school)
    services.view_personal_data(actor=staff.user, pk=person.pk)
    other = TeacherFactory(
        name="別人老師", id_number="A123456789", serving_unit=school, user=UserFactory()
    )
    services.view_personal_data(actor=staff.user, pk=other.pk)

    client.force_login(person.user)
    response = client.post(EXPORT, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    assert response["Content-Disposition"].endswith('.json"')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)

    assert data["purpose"] == "109 教育或訓練行政"
    assert data["account"]["username"] == "chenml"
    assert data["account"]["email"] == "chen@mail.example"
    t = data["teacher"]
    assert t["id_number"] == "B200000004"
    assert t["name"] == "陳美玲" and t["birth_date"] == "1985-04-12"
    assert t["title"] == "15-4" and t["title_name"] == "合格專任教師"
    assert t["serving_unit"] == {"code": school.code, "name": "測試國小"}
    assert t["personal_identifier"] == person.personal_identifier
    assert t["id_number_kind"] == "國民身分證"

    visible = {row["field"]: row["value"] for row in data["staff_visible"]}
    assert visible["id_number_hint"] == "B******004"
    assert visible["birth_date"] == "1985-04-12"
    assert "id_number" not in visible

    viewed = [e for e in data["audit_events"] if e["action"] == "teacher.personal_data_viewed"]
    assert len(viewed) == 1
    assert viewed[0]["by"] == "測試國小 業務帳號"
    assert viewed[0]["ip"] is None  # the staff member's address is not the teacher's data

    # Nothing about the other teacher.
    text = response.content.decode()
    assert "別人老師" not in text and "A123456789" not in text

    event = AuditEvent.objects.get(action="teacher.data_exported")
    assert event.actor == person.user and event.data == {"format": "json"}
    assert event.object_id == str(person.pk)


def test_export_lists_my_own_earlier_events(client, person):
    client.force_login(person.user)
    client.post(EXPORT, {"format": "json"})
    data = json.loads(client.post(EXPORT, {"format": "json"}).content)
    exported = [e for e in data["audit_events"] if e["action"] == "teacher.data_exported"]
    assert len(exported) == 1 and exported[0]["by"] == "本人"
    assert exported[0]["ip"] == "127.0.0.1"


def test_xlsx_export(client, person):
    client.force_login(person.user)
    response = client.post(EXPORT, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["帳號", "教師資料", "學校可見資料", "稽核紀錄", "說明"]
    teacher_rows = {row[0]: row[1] for row in book["教師資料"].iter_rows(values_only=True)}
    assert teacher_rows["id_number"] == "B200000004"
    assert teacher_rows["birth_date"] == "1985-04-12"
    # Everything is text (write_string): no numbers or formulas are interpreted.
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.value is None or cell.data_type == "s", (sheet.title, cell.coordinate)
    assert AuditEvent.objects.get(action="teacher.data_exported").data == {"format": "xlsx"}


def test_formula_like_text_stays_text(client, person):
    person.subjects = '=HYPERLINK("http://evil.example")'
    person.save()
    client.force_login(person.user)
    book = load_workbook(io.BytesIO(client.post(EXPORT, {"format": "xlsx"}).content))
    rows = {row[0].value: row for row in book["教師資料"].iter_rows()}
    assert rows["subjects"][1].value == person.subjects
    assert rows["subjects"][1].data_type == "s"


def test_unknown_format(client, person):
    client.force_login(person.user)
    response = client.post(EXPORT, {"format": "csv"}, follow=True)
    assert "不支援的下載格式。" in response.content.decode()
    assert not AuditEvent.objects.filter(action="teacher.data_exported").exists()


def test_no_unit_teacher_can_export(client, no_unit_person):
    client.force_login(no_unit_person.user)
    data = json.loads(client.post(EXPORT, {"format": "json"}).content)
    assert data["teacher"]["serving_unit"] is None


def test_a_teacher_cannot_reach_another_teachers_data(client, person, school):
    other = TeacherFactory(
        name="別人老師", id_number="A123456789", serving_unit=school, user=UserFactory()
    )
    client.force_login(other.user)
    # No teacher page takes an id; every one answers about the signed-in teacher only.
    for name in ("teacher_home", "teacher_records", "teacher_profile"):
        body = client.get(reverse(f"accounts:{name}"), follow=True).content.decode()
        assert "陳美玲" not in body and person.personal_identifier not in body
    data = json.loads(client.post(EXPORT, {"format": "json", "pk": person.pk}).content)
    assert data["teacher"]["name"] == "別人老師"
    assert "陳美玲" not in json.dumps(data, ensure_ascii=False)
    # And the school pages are closed to teachers.
    url = reverse("accounts:unit_teacher_detail", args=[person.pk])
    assert client.get(url).status_code == 403


def test_privacy_notice_page_is_public(client):
    response = client.get(reverse("accounts:teacher_privacy_notice"))
    assert response.status_code == 200
    assert "109" in response.content.decode()
