"""Sign-in sheets and lists (簽到表, 簽到表(空表), 線上報名資訊, 參與研習教師名單) as xlsx and
A4 PDF: the content read back (Chinese text extracted from the PDF), the CJK font embedded,
no ID number or birth date anywhere, and who may download them."""

import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.attendance.models import AttendanceEntry, AttendanceList, AttendanceStatus
from inservice.attendance.services import sheets
from inservice.core.models import AuditEvent
from inservice.enrollment.models import Registration, RegistrationStatus
from inservice.organizations.models import County
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    make_id_number,
    make_teacher_user,
    open_course,
)

pytestmark = pytest.mark.django_db

COURSE_NAME = "閱讀理解策略教學工作坊"


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"), name="臺北市立測試國民小學")


@pytest.fixture
def course(school):
    return open_course(school, name=COURSE_NAME)


@pytest.fixture
def operator(school):
    return StaffFactory(unit=school, role=StaffRole.OPERATOR).user


def register(course, teacher, status=RegistrationStatus.ADMITTED, minutes_ago=60):
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    registration = Registration.objects.create(
        course=course, teacher=teacher, status=status, queued_at=at
    )
    Registration.objects.filter(pk=registration.pk).update(created_at=at)
    registration.refresh_from_db()
    return registration


@pytest.fixture
def people(course):
    """Three admitted, two waitlisted (in order), one cancelled; ID numbers known."""
    other_school = UnitFactory(name="新北市立範例國民中學")
    ids = {}

    def teacher(name, unit, title="15-4"):
        ids[name] = make_id_number()
        return TeacherFactory(
            name=name,
            serving_unit=unit,
            title=title,
            id_number=ids[name],
            birth_date=datetime.date(1983, 4, 27),
        )

    admitted = [
        teacher("王小明", course.unit),
        teacher("李美華", other_school, title="15-5"),
        teacher("歐陽文德", course.unit),
    ]
    for n, t in enumerate(admitted):
        register(course, t, minutes_ago=300 - n)
    first_waiting = teacher("張候補", other_school)
    second_waiting = teacher("陳候補", course.unit)
    register(course, second_waiting, RegistrationStatus.WAITLISTED, minutes_ago=10)
    register(course, first_waiting, RegistrationStatus.WAITLISTED, minutes_ago=20)
    cancelled = teacher("林取消", course.unit)
    reg = register(course, cancelled, RegistrationStatus.CANCELLED, minutes_ago=100)
    Registration.objects.filter(pk=reg.pk).update(cancelled_at=timezone.now())
    return {"admitted": admitted, "ids": ids, "other_school": other_school}


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(content: bytes) -> list[dict]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            files = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            found.append({"name": str(font["/BaseFont"]), "files": files})
    return found


def xlsx_rows(content: bytes, sheet_index=0):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    ws = workbook.worksheets[sheet_index]
    return workbook, ws, [list(r) for r in ws.iter_rows(values_only=True)]


def table_after_header(rows, first_label="序號"):
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_label)
    body = [r for r in rows[start + 1 :] if r and (isinstance(r[0], int) or r[0] == "合計")]
    return rows[start], body


# --- content --------------------------------------------------------------------------------


def test_sign_in_sheet_pdf_has_chinese_names_units_and_embedded_font(course, people):
    content = sheets.to_pdf(sheets.sign_in_sheet(course))
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "簽到表" in text
    assert COURSE_NAME in text
    assert str(course.code) in text
    assert "臺北市立測試國民小學" in text
    assert "新北市立範例國民中學" in text
    for name in ("王小明", "李美華", "歐陽文德"):
        assert name in text
    # Only admitted registrants sign in.
    assert "張候補" not in text and "林取消" not in text
    for id_number in people["ids"].values():
        assert id_number not in text
    assert "1983" not in text
    assert "第 1 頁，共 1 頁" in text

    fonts = embedded_fonts(content)
    assert fonts, "no font in the PDF"
    for font in fonts:
        assert font["files"], f"font {font['name']} is not embedded"
        # A subset: "ABCDEF+Name".
        assert font["name"][7:8] == "+" and font["name"][1:7].isupper()


def test_sign_in_sheet_pdf_uses_a4(course, people):
    reader = pypdf.PdfReader(io.BytesIO(sheets.to_pdf(sheets.sign_in_sheet(course))))
    box = reader.pages[0].mediabox
    # A4 is 595 x 842 points.
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842


def test_long_sheet_repeats_the_header_row_on_every_page(course):
    for n in range(60):
        register(course, TeacherFactory(name=f"測試教師{n:02d}"), minutes_ago=500 - n)
    reader = pypdf.PdfReader(io.BytesIO(sheets.to_pdf(sheets.sign_in_sheet(course))))
    assert len(reader.pages) >= 2
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "服務單位" in text and "簽到" in text
        assert f"第 {number} 頁，共 {len(reader.pages)} 頁" in text


def test_sign_in_sheet_xlsx_reads_back(course, people):
    content = sheets.to_xlsx(sheets.sign_in_sheet(course))
    workbook, ws, rows = xlsx_rows(content)
    assert rows[0][0] == "簽到表"
    header_values = {r[0]: r[1] for r in rows[1:8] if r and r[0]}
    assert header_values["研習名稱"] == COURSE_NAME
    assert header_values["課程代碼"] == str(course.code)
    assert header_values["開課單位"] == "臺北市立測試國民小學"
    header, body = table_after_header(rows)
    assert header == ["序號", "姓名", "服務單位", "職稱", "簽到", "簽退"]
    names = [r[1] for r in body]
    assert sorted(names) == sorted(["王小明", "李美華", "歐陽文德"])
    by_name = {r[1]: r for r in body}
    assert by_name["李美華"][2] == "新北市立範例國民中學"
    assert by_name["王小明"][3] == "合格專任教師"
    assert [r[0] for r in body] == [1, 2, 3]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.title == "簽到表"
    assert ws.column_dimensions["C"].width == 30
    assert ws.print_title_rows is not None
    flat = repr(rows)
    for id_number in people["ids"].values():
        assert id_number not in flat
    assert "1983" not in flat


def test_multi_day_course_has_one_sign_in_sheet_per_day(school):
    start = timezone.localdate() + datetime.timedelta(days=30)
    course = open_course(
        school,
        name=COURSE_NAME,
        start_date=start,
        end_date=start + datetime.timedelta(days=2),
        registration_end=start - datetime.timedelta(days=3),
    )
    register(course, TeacherFactory(name="王小明"))
    sheet = sheets.sign_in_sheet(course)
    assert [s.title for s in sheet.sections] == [
        (start + datetime.timedelta(days=n)).isoformat() for n in range(3)
    ]
    workbook, _, _ = xlsx_rows(sheets.to_xlsx(sheet))
    assert len(workbook.worksheets) == 3
    reader = pypdf.PdfReader(io.BytesIO(sheets.to_pdf(sheet)))
    assert len(reader.pages) == 3
    assert (start + datetime.timedelta(days=2)).isoformat() in reader.pages[2].extract_text()


def test_blank_sheet_has_numbered_empty_rows(course, people):
    sheet = sheets.blank_sign_in_sheet(course)
    _, _, rows = xlsx_rows(sheets.to_xlsx(sheet))
    header, body = table_after_header(rows)
    assert [r[0] for r in body] == list(range(1, sheets.BLANK_ROWS + 1))
    assert all(v is None for r in body for v in r[1:])
    text = pdf_text(sheets.to_pdf(sheet))
    assert "簽到表(空表)" in text and COURSE_NAME in text
    assert "王小明" not in text


def test_registration_sheet_lists_statuses_times_and_waitlist_places(course, people):
    sheet = sheets.registration_sheet(course)
    _, _, rows = xlsx_rows(sheets.to_xlsx(sheet))
    header, body = table_after_header(rows)
    assert header == [
        "序號",
        "姓名",
        "服務單位",
        "職稱",
        "報名狀態",
        "報名時間",
        "候補順位",
        "取消時間",
    ]
    by_name = {r[1]: r for r in body}
    assert set(by_name) == {"王小明", "李美華", "歐陽文德", "張候補", "陳候補", "林取消"}
    assert by_name["王小明"][4] == "錄取"
    assert by_name["張候補"][4] == "候補" and by_name["張候補"][6] == 1
    assert by_name["陳候補"][6] == 2
    assert by_name["王小明"][6] is None
    assert by_name["林取消"][4] == "已取消報名" and by_name["林取消"][7] is not None
    assert isinstance(by_name["王小明"][5], datetime.datetime)
    # Admitted first, then the waitlist in order.
    assert [r[1] for r in body][3:5] == ["張候補", "陳候補"]
    text = pdf_text(sheets.to_pdf(sheet))
    assert "線上報名資訊" in text and "張候補" in text and "新北市立範例國民中學" in text
    for id_number in people["ids"].values():
        assert id_number not in text


def test_participant_list_from_admitted_registrants_before_attendance(course, people):
    sheet = sheets.participant_sheet(course)
    _, _, rows = xlsx_rows(sheets.to_xlsx(sheet))
    header, body = table_after_header(rows)
    assert header[5] == "時數"
    names = [r[1] for r in body if r[0] != "合計"]
    assert sorted(names) == sorted(["王小明", "李美華", "歐陽文德"])
    assert all(r[5] == 3 for r in body if r[0] != "合計")
    total = next(r for r in body if r[0] == "合計")
    assert total[5] == 9


def test_participant_list_follows_the_attendance_list(course, people):
    wang, lee, ouyang = people["admitted"]
    walk_in = TeacherFactory(name="現場報到者", serving_unit=people["other_school"])
    attendance = AttendanceList.objects.create(course=course)
    for teacher, status, hours, is_walk_in in (
        (wang, AttendanceStatus.ATTENDED, Decimal("3"), False),
        (lee, AttendanceStatus.PARTIAL, Decimal("2"), False),
        (ouyang, AttendanceStatus.ABSENT, Decimal("0"), False),
        (walk_in, AttendanceStatus.ATTENDED, Decimal("3"), True),
    ):
        AttendanceEntry.objects.create(
            attendance_list=attendance,
            course=course,
            teacher=teacher,
            status=status,
            hours=hours,
            walk_in=is_walk_in,
        )
    sheet = sheets.participant_sheet(course)
    _, _, rows = xlsx_rows(sheets.to_xlsx(sheet))
    _, body = table_after_header(rows)
    by_name = {r[1]: r for r in body if r[0] != "合計"}
    assert set(by_name) == {"王小明", "李美華", "歐陽文德", "現場報到者"}
    assert by_name["李美華"][4] == "遲到或早退" and by_name["李美華"][5] == 2
    assert by_name["歐陽文德"][4] == "缺席"
    assert by_name["現場報到者"][6] == "現場報到"
    assert next(r for r in body if r[0] == "合計")[5] == 8
    text = pdf_text(sheets.to_pdf(sheet))
    assert "參與研習教師名單" in text and "現場報到者" in text and "遲到或早退" in text


def test_text_that_looks_like_a_formula_stays_text(course):
    register(course, TeacherFactory(name='=HYPERLINK("x")'))
    content = sheets.to_xlsx(sheets.sign_in_sheet(course))
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for row in workbook.worksheets[0].iter_rows() for c in row]
    target = next(c for c in cells if c.value == '=HYPERLINK("x")')
    assert target.data_type == "s"


# --- views ----------------------------------------------------------------------------------


def url(course, kind=None, fmt=None):
    if kind is None:
        return reverse("attendance:sheets", args=[course.code])
    return reverse("attendance:sheet_download", args=[course.code, kind, fmt])


def test_organizer_downloads_each_sheet_in_both_formats(client, course, operator, people):
    client.force_login(operator)
    page = client.get(url(course))
    assert page.status_code == 200
    for kind in ("signin", "signin-blank", "registrations", "participants"):
        for fmt in ("xlsx", "pdf"):
            assert url(course, kind, fmt) in page.content.decode()
            response = client.get(url(course, kind, fmt))
            assert response.status_code == 200, (kind, fmt)
            assert response["Content-Type"] == sheets.FORMATS[fmt]
            disposition = response["Content-Disposition"]
            assert disposition.startswith("attachment;")
            encoded = disposition.split("filename*=UTF-8''")[1]
            assert unquote(encoded).startswith(f"{course.code}_")
            assert unquote(encoded).endswith(f".{fmt}")
    signin = client.get(url(course, "signin-blank", "pdf"))
    assert unquote(signin["Content-Disposition"].split("''")[1]) == (
        f"{course.code}_簽到表(空表).pdf"
    )
    assert AuditEvent.objects.filter(
        action="course.sheet_exported", object_id=str(course.pk), actor=operator
    ).exists()


def test_course_page_links_to_the_sheets(client, course, operator):
    client.force_login(operator)
    page = client.get(reverse("courses:manage_detail", args=[course.code]))
    assert url(course) in page.content.decode()


def test_unknown_sheet_or_format_is_404(client, course, operator):
    client.force_login(operator)
    assert client.get(url(course, "nonsense", "pdf")).status_code == 404
    assert client.get(url(course, "signin", "docx")).status_code == 404


def test_other_units_staff_get_404(client, course, people):
    other = StaffFactory(unit=UnitFactory(), role=StaffRole.CHIEF).user
    client.force_login(other)
    assert client.get(url(course)).status_code == 404
    assert client.get(url(course, "signin", "pdf")).status_code == 404


def test_teachers_get_403_and_anonymous_must_log_in(client, course, people):
    response = client.get(url(course, "signin", "xlsx"))
    assert response.status_code == 302 and "login" in response["Location"]
    teacher = make_teacher_user(course.unit)
    client.force_login(teacher)
    assert client.get(url(course)).status_code == 403
    assert client.get(url(course, "signin", "xlsx")).status_code == 403
