"""Sign-in sheets and lists an organizer prints or opens in a spreadsheet, for one course.

Four documents, each built once as a `Sheet` (header block, columns, sections of rows) and
written as xlsx (openpyxl) or A4 PDF (`inservice.core.pdf`), so both say the same thing:

- 簽到表: the admitted registrants, with a signature column (one section per course day);
- 簽到表(空表): numbered blank rows for walk-ins or a course without online registration;
- 線上報名資訊: every online registration with its status, time and waitlist place;
- 參與研習教師名單: the attendance list once it exists, else the admitted registrants.

They carry names, serving units and job titles only: never ID numbers or birth dates.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.catalog import codes
from inservice.core.audit import log_event
from inservice.core.errors import NotFoundError
from inservice.core.pdf import render_pdf
from inservice.courses.models import Course
from inservice.enrollment.models import Registration, RegistrationStatus

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_CONTENT_TYPE = "application/pdf"
BLANK_ROWS = 30


@dataclass(frozen=True)
class Column:
    label: str
    xlsx_width: float  # characters
    pdf_width: int  # percent of the table width
    align: str = ""  # "", "num" or "center"
    signature: bool = False  # a tall empty cell to sign in


@dataclass
class Section:
    title: str  # e.g. the day of a multi-day course; "" for one section
    rows: list[list] = field(default_factory=list)
    footer: list | None = None


@dataclass
class Sheet:
    kind: str
    title: str
    course: Course
    header: list[tuple[str, str]]
    columns: list[Column]
    sections: list[Section]
    note: str = ""
    empty_text: str = ""
    orientation: str = "portrait"
    row_height_mm: int = 9

    @property
    def pdf_sections(self):
        """Rows as (text, css class) cells, for the PDF template."""
        for section in self.sections:
            yield {
                "title": section.title,
                "rows": [
                    [
                        (_text(value), _css(column))
                        for column, value in zip(self.columns, row, strict=True)
                    ]
                    for row in section.rows
                ],
                "footer": [
                    (_text(value), column.align)
                    for column, value in zip(self.columns, section.footer, strict=True)
                ]
                if section.footer
                else None,
            }


def _css(column: Column) -> str:
    return " ".join(c for c in (column.align, "signature" if column.signature else "") if c)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- the course header block -------------------------------------------------------------


def _course_days(course: Course) -> list[datetime.date]:
    """The days the course meets: its sessions' dates, else every day from start to end."""
    version = course.published
    if version is None:
        return []
    dates = sorted({s.date for s in version.sessions.all()})
    if dates:
        return dates
    start, end = version.start_date, version.end_date or version.start_date
    if start is None:
        return []
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def _date_range(course: Course) -> str:
    version = course.published
    if version is None or version.start_date is None:
        return ""
    end = version.end_date or version.start_date
    if end == version.start_date:
        return version.start_date.isoformat()
    return f"{version.start_date.isoformat()} ～ {end.isoformat()}"


def course_header(course: Course) -> list[tuple[str, str]]:
    version = course.published
    return [
        (_("課程代碼"), str(course.code)),
        (_("研習名稱"), version.name if version else course.name),
        (_("開課單位"), course.unit.name),
        (_("研習日期"), _date_range(course)),
        (_("研習時數"), _text(version.hours) if version and version.hours is not None else ""),
        (_("時間地點"), version.time_and_place if version else ""),
    ]


def _unit_name(teacher) -> str:
    return teacher.serving_unit.name if teacher.serving_unit_id else _("無服務學校")


def _title_name(teacher, titles: dict[str, str]) -> str:
    return titles.get(teacher.title, "") if teacher.title else ""


def _admitted(course: Course):
    return (
        Registration.objects.filter(course=course, status=RegistrationStatus.ADMITTED)
        .select_related("teacher__serving_unit")
        .order_by("teacher__serving_unit__name", "teacher__name", "id")
    )


def _sectioned(course: Course, rows: list[list]) -> list[Section]:
    """One section per course day (a sheet to sign each day), or one for a one-day course."""
    days = _course_days(course)
    if len(days) <= 1:
        return [Section(title="", rows=rows)]
    return [Section(title=day.isoformat(), rows=[list(r) for r in rows]) for day in days]


# --- the four sheets ---------------------------------------------------------------------


def sign_in_sheet(course: Course) -> Sheet:
    titles = codes.names("target_title")
    rows = [
        [n, r.teacher.name, _unit_name(r.teacher), _title_name(r.teacher, titles), "", ""]
        for n, r in enumerate(_admitted(course), start=1)
    ]
    return Sheet(
        kind="signin",
        title=_("簽到表"),
        course=course,
        header=course_header(course),
        columns=_signature_columns(),
        sections=_sectioned(course, rows),
        empty_text=_("目前沒有錄取的報名者。"),
        note=_("請參與研習教師親自簽名；未列名者請填寫於空白簽到表。"),
    )


def blank_sign_in_sheet(course: Course, *, rows: int = BLANK_ROWS) -> Sheet:
    blank = [[n, "", "", "", "", ""] for n in range(1, rows + 1)]
    return Sheet(
        kind="signin-blank",
        title=_("簽到表(空表)"),
        course=course,
        header=course_header(course),
        columns=_signature_columns(),
        sections=_sectioned(course, blank),
        note=_("請以正楷填寫姓名與服務單位，並親自簽名。"),
    )


def _signature_columns() -> list[Column]:
    return [
        Column(_("序號"), 6, 6, "center"),
        Column(_("姓名"), 14, 14),
        Column(_("服務單位"), 30, 30),
        Column(_("職稱"), 14, 14),
        Column(_("簽到"), 18, 18, signature=True),
        Column(_("簽退"), 18, 18, signature=True),
    ]


STATUS_ORDER = {
    RegistrationStatus.ADMITTED: 0,
    RegistrationStatus.APPLIED: 1,
    RegistrationStatus.WAITLISTED: 2,
    RegistrationStatus.NOT_DRAWN: 3,
    RegistrationStatus.CANCELLED: 4,
    RegistrationStatus.REMOVED: 5,
}


def registration_sheet(course: Course) -> Sheet:
    titles = codes.names("target_title")
    registrations = list(
        Registration.objects.filter(course=course)
        .select_related("teacher__serving_unit")
        .order_by("queued_at", "id")
    )
    # The waitlist's order is (queued_at, id), as enrollment.services.waitlist_position.
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    position = {r.pk: n for n, r in enumerate(waiting, start=1)}
    registrations.sort(
        key=lambda r: (STATUS_ORDER.get(r.status, 9), position.get(r.pk, 0), r.created_at, r.pk)
    )
    rows = [
        [
            n,
            r.teacher.name,
            _unit_name(r.teacher),
            _title_name(r.teacher, titles),
            r.get_status_display(),
            r.created_at,
            position.get(r.pk),
            r.cancelled_at,
        ]
        for n, r in enumerate(registrations, start=1)
    ]
    counts = {}
    for r in registrations:
        counts[r.get_status_display()] = counts.get(r.get_status_display(), 0) + 1
    summary = "、".join(_("%(label)s %(n)d 人") % {"label": k, "n": n} for k, n in counts.items())
    return Sheet(
        kind="registrations",
        title=_("線上報名資訊"),
        course=course,
        header=[*course_header(course), (_("報名統計"), summary or _("無"))],
        columns=[
            Column(_("序號"), 6, 6, "center"),
            Column(_("姓名"), 14, 12),
            Column(_("服務單位"), 30, 26),
            Column(_("職稱"), 14, 12),
            Column(_("報名狀態"), 14, 11),
            Column(_("報名時間"), 18, 13),
            Column(_("候補順位"), 10, 8, "num"),
            Column(_("取消時間"), 18, 12),
        ],
        sections=[Section(title="", rows=rows)],
        empty_text=_("本課程尚無線上報名資料。"),
        orientation="landscape",
        row_height_mm=0,
    )


def participant_sheet(course: Course) -> Sheet:
    from inservice.attendance.models import AttendanceList

    titles = codes.names("target_title")
    attendance = AttendanceList.objects.filter(course=course).first()
    if attendance is not None:
        entries = attendance.entries.select_related("teacher__serving_unit").order_by(
            "teacher__serving_unit__name", "teacher__name", "id"
        )
        rows = [
            [
                n,
                e.teacher.name,
                _unit_name(e.teacher),
                _title_name(e.teacher, titles),
                e.get_status_display(),
                e.hours,
                _("現場報到") if e.walk_in else e.note,
            ]
            for n, e in enumerate(entries, start=1)
        ]
        note = _("依出席名單（%(state)s）列出。") % {"state": attendance.get_state_display()}
    else:
        hours = course.published.hours if course.published else None
        rows = [
            [
                n,
                r.teacher.name,
                _unit_name(r.teacher),
                _title_name(r.teacher, titles),
                _("錄取"),
                hours,
                "",
            ]
            for n, r in enumerate(_admitted(course), start=1)
        ]
        note = _("尚未登錄出席名單：列出錄取的報名者，時數為課程預定時數。")
    total = sum((row[5] or Decimal(0) for row in rows), Decimal(0))
    footer = [_("合計"), _("%(n)d 人") % {"n": len(rows)}, "", "", "", total, ""]
    return Sheet(
        kind="participants",
        title=_("參與研習教師名單"),
        course=course,
        header=course_header(course),
        columns=[
            Column(_("序號"), 6, 7, "center"),
            Column(_("姓名"), 14, 14),
            Column(_("服務單位"), 30, 30),
            Column(_("職稱"), 14, 14),
            Column(_("出席情形"), 12, 12),
            Column(_("時數"), 8, 8, "num"),
            Column(_("備註"), 20, 15),
        ],
        sections=[Section(title="", rows=rows, footer=footer)],
        empty_text=_("沒有參與研習的教師。"),
        note=note,
        row_height_mm=0,
    )


@dataclass(frozen=True)
class SheetKind:
    slug: str
    label: str
    build: Callable[[Course], Sheet]
    description: str


def kinds() -> list[SheetKind]:
    return [
        SheetKind(
            "signin",
            _("簽到表"),
            sign_in_sheet,
            _("錄取的報名者，附簽到、簽退欄；多日課程每日一份。"),
        ),
        SheetKind(
            "signin-blank",
            _("簽到表(空表)"),
            blank_sign_in_sheet,
            _("附編號的空白列，供現場報到者填寫。"),
        ),
        SheetKind(
            "registrations",
            _("線上報名資訊"),
            registration_sheet,
            _("所有線上報名紀錄：狀態、報名時間與候補順位。"),
        ),
        SheetKind(
            "participants",
            _("參與研習教師名單"),
            participant_sheet,
            _("已登錄出席名單者依名單列出，否則列出錄取者。"),
        ),
    ]


def kind(slug: str) -> SheetKind:
    for k in kinds():
        if k.slug == slug:
            return k
    raise NotFoundError(_("沒有這種表單。"))


# --- writers -----------------------------------------------------------------------------


def to_xlsx(sheet: Sheet) -> bytes:
    """One worksheet per section; text cells stay text (no formulas from names)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    workbook = Workbook()
    workbook.remove(workbook.active)
    width = len(sheet.columns)
    for number, section in enumerate(sheet.sections, start=1):
        name = f"{number} {section.title}" if len(sheet.sections) > 1 else sheet.title
        ws = workbook.create_sheet(title=_sheet_name(name))
        ws.append([_text_cell(sheet.title)])
        ws.cell(row=1, column=1).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        header = list(sheet.header)
        if section.title and len(sheet.sections) > 1:
            header.append((_("日期"), section.title))
        for label, value in header:
            ws.append([_text_cell(label), _text_cell(value)])
            ws.cell(row=ws.max_row, column=1).font = bold
            ws.merge_cells(
                start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=width
            )
        ws.append([])
        header_row = ws.max_row + 1
        ws.append([_text_cell(c.label) for c in sheet.columns])
        for col in range(1, width + 1):
            cell = ws.cell(row=header_row, column=col)
            cell.font = bold
            cell.border = border
            cell.fill = PatternFill("solid", fgColor="E8E8E8")
            cell.alignment = Alignment(horizontal="center", vertical="center")
        for row in section.rows:
            ws.append([_xlsx_value(v) for v in row])
            _format_row(ws, ws.max_row, sheet, border)
        if section.footer:
            ws.append([_xlsx_value(v) for v in section.footer])
            _format_row(ws, ws.max_row, sheet, border)
            for col in range(1, width + 1):
                ws.cell(row=ws.max_row, column=col).font = bold
        if sheet.note:
            ws.append([])
            ws.append([_text_cell(sheet.note)])
        for index, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.xlsx_width
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = sheet.orientation
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "&P / &N"
        _no_formulas(ws)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _format_row(ws, row: int, sheet: Sheet, border) -> None:
    from openpyxl.styles import Alignment

    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=row, column=index)
        cell.border = border
        horizontal = {"num": "right", "center": "center"}.get(column.align)
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        if isinstance(cell.value, Decimal | float):
            cell.number_format = "0.0"
        elif isinstance(cell.value, datetime.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
    if sheet.row_height_mm:
        ws.row_dimensions[row].height = sheet.row_height_mm * 72 / 25.4 * 1.4


def _sheet_name(name: str) -> str:
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name[:31]


def _text_cell(value) -> str:
    return _text(value)


def _xlsx_value(value):
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    return str(value)


def _no_formulas(ws) -> None:
    """openpyxl takes text starting with "=" for a formula: we write none, so keep it text."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def to_pdf(sheet: Sheet) -> bytes:
    return render_pdf(
        "attendance/sheets/sheet_pdf.html",
        {"sheet": sheet, "sections": list(sheet.pdf_sections), "doc_title": sheet.title},
    )


# --- one call for the views --------------------------------------------------------------

FORMATS = {"xlsx": XLSX_CONTENT_TYPE, "pdf": PDF_CONTENT_TYPE}


@dataclass(frozen=True)
class Document:
    content: bytes
    content_type: str
    filename: str

    @property
    def content_disposition(self) -> str:
        """Both forms: an ASCII name for old clients and the Chinese name (RFC 5987/6266)."""
        ascii_name = self.filename.encode("ascii", "ignore").decode() or "download"
        ascii_name = ascii_name.replace('"', "").replace("\\", "")
        return (
            f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(self.filename, safe='')}"
        )


def export(*, actor, course: Course, slug: str, fmt: str) -> Document:
    """Build one sheet in one format; the export (names of people) goes to the audit trail."""
    sheet_kind = kind(slug)
    if fmt not in FORMATS:
        raise NotFoundError(_("不支援的檔案格式。"))
    if course.published is None:
        raise NotFoundError(_("課程尚未公告，沒有簽到表。"))
    sheet = sheet_kind.build(course)
    content = to_xlsx(sheet) if fmt == "xlsx" else to_pdf(sheet)
    log_event(
        "course.sheet_exported",
        actor=actor,
        obj=course,
        data={"sheet": slug, "format": fmt, "rows": sum(len(s.rows) for s in sheet.sections)},
    )
    return Document(
        content=content,
        content_type=FORMATS[fmt],
        filename=f"{course.code}_{sheet.title}.{fmt}",
    )
