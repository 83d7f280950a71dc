"""Attendance entry over HTTP: the grid, walk-ins, upload round trip and who may see what."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inservice.accounts.models import StaffRole
from inservice.attendance.models import AttendanceEntry, AttendanceList, AttendanceUpload
from inservice.attendance.services import entry
from tests.attendance.entry_helpers import (
    XLSX,
    admit,
    course_held,
    organizer_of,
    upload_file,
    xlsx_bytes,
)
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    make_id_number,
    make_teacher_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    course = course_held()
    organizer = organizer_of(course)
    regs = [admit(course) for _ in range(2)]
    return course, organizer, regs


def _entries(course):
    return list(
        AttendanceEntry.objects.filter(course=course)
        .order_by("pk")
        .values_list("teacher_id", "status", "hours", "note")
    )


# --- permissions ----------------------------------------------------------------------------


def _urls(course, upload):
    code = course.code
    return [
        reverse("attendance:grid", args=[code]),
        reverse("attendance:walk_in", args=[code]),
        reverse("attendance:upload", args=[code]),
        reverse("attendance:upload_template", args=[code]),
        reverse("attendance:upload_report", args=[code, upload.pk]),
        reverse("attendance:upload_rejected", args=[code, upload.pk]),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("teacher", 403),
        ("other_unit_staff", 404),
        ("reviewer", 404),
        ("operator", 200),
        ("contact", 200),
        ("chief", 200),
    ],
)
def test_permission_table(client, held, who, expected):
    course, organizer, regs = held
    entry.attendance_list_for(course, actor=organizer)
    content = xlsx_bytes([[regs[0].teacher.personal_identifier, "", "缺席", None, None]])
    upload = entry.import_attendance_xlsx(
        actor=organizer, course=course, file=upload_file(content)
    ).upload
    users = {
        "teacher": lambda: make_teacher_user(course.unit),
        "other_unit_staff": lambda: StaffFactory(unit=UnitFactory(county=course.unit.county)).user,
        "reviewer": lambda: (
            StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user
        ),
        "operator": lambda: organizer_of(course, StaffRole.OPERATOR),
        "contact": lambda: organizer_of(course, StaffRole.CONTACT),
        "chief": lambda: organizer_of(course, StaffRole.CHIEF),
    }
    if who != "anonymous":
        client.force_login(users[who]())
    for url in _urls(course, upload):
        assert client.get(url).status_code == expected, url
    # Writes by anyone refused change nothing.
    if expected != 200:
        before = _entries(course)
        grid = reverse("attendance:grid", args=[course.code])
        e = AttendanceEntry.objects.filter(course=course).first()
        client.post(grid, {"revision": "0", "entry": [e.pk], f"status-{e.pk}": "attended"})
        client.post(
            reverse("attendance:walk_in", args=[course.code]),
            {"id_or_identifier": TeacherFactory().personal_identifier, "status": "attended"},
        )
        client.post(
            reverse("attendance:upload", args=[course.code]),
            {"file": upload_file(content)},
        )
        assert _entries(course) == before
        assert AttendanceUpload.objects.count() == 1


# --- the grid -------------------------------------------------------------------------------


def test_grid_page_is_an_accessible_form(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    page = client.get(reverse("attendance:grid", args=[course.code]))
    assert page.status_code == 200
    html = page.content.decode()
    lst = AttendanceList.objects.get(course=course)
    for reg in regs:
        e = lst.entries.get(teacher=reg.teacher)
        assert reg.teacher.name in html
        assert f'<label class="visually-hidden" for="status-{e.pk}">' in html
        assert f'<label class="visually-hidden" for="hours-{e.pk}">' in html
        assert reg.teacher.id_number_hint in html
    assert '<th scope="col">' in html and "<caption>" in html
    assert f'name="revision" value="{lst.revision}"' in html


def test_grid_post_saves_and_redirects(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    url = reverse("attendance:grid", args=[course.code])
    client.get(url)
    lst = AttendanceList.objects.get(course=course)
    a, b = lst.entries.order_by("pk")
    response = client.post(
        url,
        {
            "revision": str(lst.revision),
            "entry": [a.pk, b.pk],
            f"status-{a.pk}": "leave",
            f"hours-{a.pk}": "2",
            f"note-{a.pk}": "公假",
            f"status-{b.pk}": "absent",
            f"hours-{b.pk}": "",
            f"note-{b.pk}": "",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.hours, a.note) == ("leave", Decimal("2"), "公假")
    assert (b.status, b.hours) == ("absent", Decimal("0"))


def test_grid_post_with_bad_rows_shows_each_and_saves_nothing(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    url = reverse("attendance:grid", args=[course.code])
    client.get(url)
    lst = AttendanceList.objects.get(course=course)
    a, b = lst.entries.select_related("teacher").order_by("pk")
    before = _entries(course)
    response = client.post(
        url,
        {
            "revision": str(lst.revision),
            "entry": [a.pk, b.pk],
            f"status-{a.pk}": "partial",
            f"hours-{a.pk}": "7",
            f"status-{b.pk}": "leave",
            f"hours-{b.pk}": "1.25",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<a href="#status-{a.pk}">{a.teacher.name}</a>' in html
    assert f'<a href="#status-{b.pk}">{b.teacher.name}</a>' in html
    assert "超過課程時數" in html and "0.5 小時為單位" in html
    assert 'value="7"' in html  # what was typed is kept for correction
    assert _entries(course) == before


def test_stale_grid_post_refused(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    url = reverse("attendance:grid", args=[course.code])
    client.get(url)
    lst = AttendanceList.objects.get(course=course)
    e = lst.entries.first()
    before = _entries(course)
    response = client.post(
        url, {"revision": str(lst.revision - 1), "entry": [e.pk], f"status-{e.pk}": "absent"}
    )
    assert response.status_code == 409
    assert "請重新載入" in response.content.decode()
    assert _entries(course) == before


def test_grid_of_a_course_not_yet_held_explains(client):
    course = course_held(started_days_ago=-2)
    client.force_login(organizer_of(course))
    page = client.get(reverse("attendance:grid", args=[course.code]))
    assert page.status_code == 200
    assert 'data-refusal="not_held"' in page.content.decode()
    assert not AttendanceList.objects.filter(course=course).exists()


def test_course_page_links_to_grid_once_started(client):
    started = course_held(started_days_ago=0)
    future = course_held(started.unit, started_days_ago=-5)
    client.force_login(organizer_of(started))
    for course, shown in ((started, True), (future, False)):
        html = client.get(reverse("courses:manage_detail", args=[course.code])).content.decode()
        assert (reverse("attendance:grid", args=[course.code]) in html) is shown


# --- walk-ins -------------------------------------------------------------------------------


def test_walk_in_form_adds_and_never_shows_the_id_number(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    id_number = make_id_number()
    url = reverse("attendance:walk_in", args=[course.code])
    response = client.post(
        url, {"id_or_identifier": id_number, "name": "蔡現場", "status": "attended"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "蔡現場" in html and id_number not in html
    e = AttendanceEntry.objects.get(course=course, teacher__name="蔡現場")
    assert e.walk_in and e.teacher.user_id is None
    assert e.teacher.id_number_hint in html


def test_walk_in_form_bad_check_digit(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    good = make_id_number()
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    before = _entries(course)
    response = client.post(
        reverse("attendance:walk_in", args=[course.code]),
        {"id_or_identifier": bad, "name": "王錯號", "status": "attended"},
    )
    assert response.status_code == 400
    assert "檢查碼錯誤" in response.content.decode()
    assert _entries(course) == before


# --- upload ---------------------------------------------------------------------------------


def test_template_round_trip(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    client.get(reverse("attendance:grid", args=[course.code]))
    response = client.get(reverse("attendance:upload_template", args=[course.code]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(entry.HEADERS)
    assert book.sheetnames[1] == "填寫說明"
    listed = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    listed = {k: v for k, v in listed.items() if k}
    assert set(listed) == {r.teacher.personal_identifier for r in regs}
    # Fill it in as an organizer would: one leave, one absent, one walk-in by ID number.
    sheet.cell(row=listed[regs[0].teacher.personal_identifier], column=3, value="請假")
    sheet.cell(row=listed[regs[0].teacher.personal_identifier], column=4, value=1.5)
    sheet.cell(row=listed[regs[1].teacher.personal_identifier], column=3, value="缺席")
    id_number = make_id_number()
    known = TeacherFactory(id_number=id_number, name="鄭已知")
    row = max(listed.values()) + 1
    for column, value in enumerate([id_number, "鄭已知", "遲到或早退", 5, "晚到一小時"], start=1):
        sheet.cell(row=row, column=column, value=value)
    filled = io.BytesIO()
    book.save(filled)

    response = client.post(
        reverse("attendance:upload", args=[course.code]),
        {"file": upload_file(filled.getvalue(), name="filled.xlsx")},
    )
    assert response.status_code == 302
    upload = AttendanceUpload.objects.get()
    assert response.url == reverse("attendance:upload_report", args=[course.code, upload.pk])
    assert (upload.updated, upload.added, upload.rejected) == (2, 1, 0)
    got = {e.teacher_id: (e.status, e.hours) for e in AttendanceEntry.objects.filter(course=course)}
    assert got == {
        regs[0].teacher_id: ("leave", Decimal("1.5")),
        regs[1].teacher_id: ("absent", Decimal("0")),
        known.pk: ("partial", Decimal("5")),
    }
    report = client.get(response.url + "?show=accepted").content.decode()
    assert "鄭已知" in report and id_number not in report


def test_upload_page_states_the_policy_and_reports_bad_rows(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    url = reverse("attendance:upload", args=[course.code])
    page = client.get(url).content.decode()
    assert "有問題的列整列不匯入" in page and "正確的列全部匯入" in page
    content = xlsx_bytes(
        [
            [regs[0].teacher.personal_identifier, "", "缺席", None, None],
            [regs[1].teacher.personal_identifier, "", "請假", 8, None],
        ]
    )
    response = client.post(url, {"file": upload_file(content)}, follow=True)
    html = response.content.decode()
    assert 'data-rejected="1"' in html
    assert '<th scope="row">3</th>' in html and "超過課程時數" in html
    upload = AttendanceUpload.objects.get()
    download = client.get(reverse("attendance:upload_rejected", args=[course.code, upload.pk]))
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(download.content)).worksheets[0].values)
    assert rows[1][0] == 3 and "超過課程時數" in rows[1][-1]


def test_upload_wrong_file_type_shows_one_error(client, held):
    course, organizer, regs = held
    client.force_login(organizer)
    client.get(reverse("attendance:grid", args=[course.code]))
    before = _entries(course)
    response = client.post(
        reverse("attendance:upload", args=[course.code]),
        {
            "file": upload_file(
                "姓名,時數\n".encode("big5"), name="list.csv", content_type="text/csv"
            )
        },
    )
    assert response.status_code == 400
    assert "無法讀取檔案" in response.content.decode()
    assert _entries(course) == before and not AttendanceUpload.objects.exists()


def test_report_of_another_course_is_404(client, held):
    course, organizer, regs = held
    other = course_held(course.unit)
    admit(other)
    content = xlsx_bytes([[regs[0].teacher.personal_identifier, "", "缺席", None, None]])
    upload = entry.import_attendance_xlsx(
        actor=organizer, course=course, file=upload_file(content)
    ).upload
    client.force_login(organizer)
    url = reverse("attendance:upload_report", args=[other.code, upload.pk])
    assert client.get(url).status_code == 404
