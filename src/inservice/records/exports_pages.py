"""xlsx exports of the record pages.

Written with XlsxWriter in constant-memory mode into a temporary file (rows go to disk as
they are written, records are read from the database in chunks), then streamed to the
client from that file: memory stays flat whatever the number of rows. Text is always
written with `write_string`, so a course name starting with "=" is never a formula.
No ID number or birth date is ever written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .services.queries import RecordLabels, school_year_label, school_year_of

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DATA_ROWS = 1_048_000  # below Excel's 1,048,576-row limit, leaving room for the total


class Book:
    """A constant-memory workbook in a temporary file, turned into a streamed response."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.book = xlsxwriter.Workbook(self.file, {"constant_memory": True})
        self.bold = self.book.add_format({"bold": True})
        self.number = self.book.add_format({"num_format": "0.0"})

    def sheet(self, name: str, headers: list[str], widths: list[int] | None = None):
        sheet = self.book.add_worksheet(name)
        for c, header in enumerate(headers):
            sheet.write_string(0, c, str(header), self.bold)
        for c, width in enumerate(widths or []):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(1, 0)
        return sheet

    def write_row(self, sheet, row: int, values: Iterable) -> None:
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
                sheet.write_number(row, c, float(value), self.number)
            else:
                sheet.write_string(row, c, str(value))

    def info_sheet(self, rows: list[tuple[str, str]]) -> None:
        sheet = self.book.add_worksheet(_("說明"))
        sheet.set_column(0, 0, 18)
        sheet.set_column(1, 1, 90)
        for r, (key, value) in enumerate(rows):
            sheet.write_string(r, 0, str(key), self.bold)
            sheet.write_string(r, 1, str(value))

    def response(self, filename: str) -> FileResponse:
        self.book.close()
        self.file.seek(0)
        response = FileResponse(
            self.file, as_attachment=True, filename=filename, content_type=XLSX_TYPE
        )
        response["Cache-Control"] = "no-store"
        return response


def _date(value) -> str:
    return value.isoformat() if value else ""


def _generated() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


RECORD_HEADERS = [
    gettext_lazy("學年度"),
    gettext_lazy("研習起日"),
    gettext_lazy("研習迄日"),
    gettext_lazy("課程代碼"),
    gettext_lazy("研習名稱"),
    gettext_lazy("開課單位"),
    gettext_lazy("進修範疇"),
    gettext_lazy("專案屬性標籤"),
    gettext_lazy("研習時數"),
    gettext_lazy("超過上限未核計時數"),
    gettext_lazy("學分數"),
    gettext_lazy("資料來源"),
]
RECORD_WIDTHS = [12, 12, 12, 12, 48, 28, 20, 24, 10, 12, 8, 14]
HOURS_COL = 8  # 研習時數 in RECORD_HEADERS


def _record_cells(labels: RecordLabels, r: dict) -> list:
    source = labels.source(r["source"])
    if r.get("partner"):
        source = f"{source}（{r['partner']}）"
    return [
        school_year_label(school_year_of(r["start_date"])),
        _date(r["start_date"]),
        _date(r["end_date"]),
        r["course_code"],
        r["course_name"],
        r["organizer_name"],
        labels.category(r["category"]) if r["category"] else "",
        "、".join(labels.tag_names(r["tags"])),
        r["hours"],
        r["hours_withheld"] or None,
        r["credits"],
        source,
    ]


def _total_row(book, sheet, row, hours, withheld, hours_col):
    cells = [""] * (hours_col + 2)
    cells[0] = _("合計")
    cells[hours_col] = hours
    cells[hours_col + 1] = withheld
    book.write_row(sheet, row, cells)
    sheet.set_row(row, None, book.bold)


RECORD_FIELDS = (
    "start_date",
    "end_date",
    "course_code",
    "course_name",
    "organizer_name",
    "category",
    "tags",
    "hours",
    "hours_withheld",
    "credits",
    "source",
    "partner",
)


def records_book(records, *, info: list[tuple[str, str]], filename: str) -> FileResponse:
    """One teacher's records (the teacher's own export, or a staff drill-down)."""
    labels = RecordLabels()
    book = Book()
    sheet = book.sheet(_("研習紀錄"), RECORD_HEADERS, RECORD_WIDTHS)
    row = hours = withheld = 0
    for r in records.values(*RECORD_FIELDS).iterator(chunk_size=2000):
        row += 1
        book.write_row(sheet, row, _record_cells(labels, r))
        hours += r["hours"]
        withheld += r["hours_withheld"] or 0
    _total_row(book, sheet, row + 1, hours, withheld, HOURS_COL)
    book.info_sheet(
        [(_("產生時間"), _generated()), *info, (_("筆數"), str(row))]
        + [(_("說明"), _("本檔不含身分證號、出生日期等個人資料。"))]
    )
    return book.response(filename)


def teachers_book(
    teachers, *, with_unit: bool, info: list[tuple[str, str]], filename: str
) -> FileResponse:
    """One row per teacher with the period's totals (schools and centers)."""
    from inservice.accounts.services.teachers import title_name

    headers = [_("教師個人專用識別號碼"), _("姓名"), _("職稱")]
    widths = [16, 12, 24]
    if with_unit:
        headers += [_("服務單位代碼"), _("服務單位"), _("縣市")]
        widths += [12, 28, 10]
    headers += [_("研習紀錄筆數"), _("研習時數"), _("超過上限未核計時數")]
    widths += [12, 10, 14]
    book = Book()
    sheet = book.sheet(_("教師研習時數"), headers, widths)
    titles: dict[str, str] = {}
    row = 0
    hours = withheld = Decimal(0)
    for t in teachers.iterator(chunk_size=2000):
        if row >= MAX_DATA_ROWS:
            break
        row += 1
        if t.title not in titles:
            titles[t.title] = title_name(t.title)
        cells = [t.personal_identifier, t.name, titles[t.title]]
        if with_unit:
            unit = t.serving_unit
            county = unit.county.name if unit and unit.county_id else ""
            cells += [unit.code if unit else "", unit.name if unit else "", county]
        cells += [t.period_count, t.period_hours, t.period_withheld or None]
        book.write_row(sheet, row, cells)
        hours += t.period_hours
        withheld += t.period_withheld
    _total_row(book, sheet, row + 1, hours, withheld, len(headers) - 2)
    book.info_sheet(
        [(_("產生時間"), _generated()), *info, (_("教師人數"), str(row))]
        + [(_("說明"), _("本檔不含身分證號、出生日期等個人資料。"))]
    )
    return book.response(filename)


def population_records_book(
    rows, *, with_unit: bool, info: list[tuple[str, str]], filename: str
) -> FileResponse:
    """One row per record of every teacher in the population within the period."""
    labels = RecordLabels()
    headers = [_("教師個人專用識別號碼"), _("姓名")]
    widths = [16, 12]
    if with_unit:
        headers += [_("服務單位代碼"), _("服務單位")]
        widths += [12, 28]
    book = Book()
    sheet = book.sheet(_("研習紀錄"), headers + RECORD_HEADERS, widths + RECORD_WIDTHS)
    row = 0
    hours = withheld = Decimal(0)
    truncated = False
    for r in rows:
        if row >= MAX_DATA_ROWS:
            truncated = True
            break
        row += 1
        cells = [r["teacher__personal_identifier"], r["teacher__name"]]
        if with_unit:
            cells += [r["teacher__serving_unit__code"], r["teacher__serving_unit__name"]]
        book.write_row(sheet, row, cells + _record_cells(labels, r))
        hours += r["hours"]
        withheld += r["hours_withheld"] or 0
    _total_row(book, sheet, row + 1, hours, withheld, len(headers) + HOURS_COL)
    notes = [(_("說明"), _("本檔不含身分證號、出生日期等個人資料。"))]
    if truncated:
        notes.append(
            (
                _("注意"),
                _("資料超過試算表的列數上限，只列出前 %(n)s 筆，請縮小期間或範圍。")
                % {"n": MAX_DATA_ROWS},
            )
        )
    book.info_sheet([(_("產生時間"), _generated()), *info, (_("筆數"), str(row)), *notes])
    return book.response(filename)
