"""The streaming xlsx reader behind attendance uploads: every way a cell can be stored,
sparse rows, unsafe or oversized files, and memory that does not grow with the rows.

openpyxl (read-only, data-only) is the oracle: for the same file both give the same values.
"""

import datetime
import io
import tracemalloc
import zipfile

import pytest
import xlsxwriter
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from inservice.attendance.models import AttendanceEntry
from inservice.attendance.services import entry, xlsx_reader
from tests.attendance.entry_helpers import HEADERS, admit, course_held, organizer_of, upload_file
from tests.factories import TeacherFactory

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="/xl/{part}" ContentType="{OFFICE}.{kind}+xml"/>'


def _relationship(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{REL}/{kind}" Target="{target}"/>'


def handmade(
    sheet_rows: str,
    shared: list[str] | None = None,
    *,
    styles: str = "",
    sheet_prolog: str = "",
    shared_xml: str | None = None,
    date1904=False,
) -> bytes:
    """A minimal xlsx written by hand, so every storage form can be tried."""
    if shared_xml is None and shared is not None:
        items = "".join(f"<si><t>{s}</t></si>" for s in shared)
        shared_xml = f'<?xml version="1.0"?><sst xmlns="{MAIN}">{items}</sst>'
    rels = [_relationship("rId1", "worksheet", "worksheets/sheet1.xml")]
    types = [
        _override("workbook.xml", "sheet.main"),
        _override("worksheets/sheet1.xml", "worksheet"),
    ]
    if shared_xml is not None:
        rels.append(_relationship("rId2", "sharedStrings", "sharedStrings.xml"))
        types.append(_override("sharedStrings.xml", "sharedStrings"))
    if styles:
        rels.append(_relationship("rId3", "styles", "styles.xml"))
        types.append(_override("styles.xml", "styles"))
    rels_type = "application/vnd.openxmlformats-package.relationships+xml"
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{PKG}/content-types">'
        f'<Default Extension="rels" ContentType="{rels_type}"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(types) + "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{PKG}/relationships">'
        + _relationship("rId1", "officeDocument", "xl/workbook.xml")
        + "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}'
        '<sheets><sheet name="出席名單" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}/relationships">'
        + "".join(rels)
        + "</Relationships>",
        "xl/worksheets/sheet1.xml": f'{sheet_prolog}<worksheet xmlns="{MAIN}"><sheetData>'
        f"{sheet_rows}</sheetData></worksheet>",
    }
    if shared_xml is not None:
        parts["xl/sharedStrings.xml"] = shared_xml
    if styles:
        parts["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return buffer.getvalue()


def ours(content: bytes, width=5):
    return list(xlsx_reader.iter_rows(io.BytesIO(content), width))


def oracle(content: bytes, width=5):
    """openpyxl's values, in the same shape (rows with no value left out)."""
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    out = []
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        values = list(values) + [None] * (width - len(values))
        cells, extras = values[:width], [v for v in values[width:] if v is not None]
        if any(v is not None for v in cells) or extras:
            out.append((number, cells, extras))
    book.close()
    return out


def test_shared_strings_with_rich_text_and_phonetic_runs():
    shared_xml = (
        f'<sst xmlns="{MAIN}"><si><t>身分證號或個人識別碼</t></si>'
        '<si><r><rPr><b/></rPr><t>王</t></r><r><t xml:space="preserve">小明 </t></r></si>'
        '<si><t>全程參與</t><rPh sb="0" eb="1"><t>ぜんてい</t></rPh></si>'
        "<si><t>A&amp;B &lt;c&gt; &#x6E2C;</t></si></sst>"
    )
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c>'
        '<c r="C2" t="s"><v>3</v></c></row>'
    )
    content = handmade(rows, shared_xml=shared_xml)
    got = ours(content)
    assert got[1][1][:3] == ["王小明 ", "全程參與", "A&B <c> 測"]
    assert got == oracle(content)


def test_inline_strings_numbers_booleans_errors_and_formulas():
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>甲</t></is></c>'
        '<c r="B1" t="inlineStr"><is><r><t>乙</t></r><r><rPr><i/></rPr><t>丙</t></r></is></c></row>'
        '<row r="2"><c r="A2"><v>3</v></c><c r="B2"><v>2.5</v></c><c r="C2"><v>1E2</v></c>'
        '<c r="D2" t="b"><v>1</v></c><c r="E2" t="e"><v>#N/A</v></c></row>'
        '<row r="3"><c r="A3" t="str"><f>CONCAT("T","1")</f><v>T1</v></c>'
        '<c r="B3"><f>1+1</f><v>2</v></c><c r="C3"><f>1/0</f></c>'
        '<c r="D3" t="b"><v>0</v></c><c r="E3" t="inlineStr"><is><t></t></is></c></row>'
    )
    content = handmade(rows)
    got = ours(content)
    assert got[0][1][:2] == ["甲", "乙丙"]
    assert got[1][1] == [3, 2.5, 100.0, True, "#N/A"]
    assert got[2][1][:4] == ["T1", 2, None, False]
    assert got[2][1][4] is None  # an empty inline string is an empty cell
    expected = oracle(content)
    expected[2][1][4] = None  # (openpyxl gives "")
    assert got == expected


def test_dates_follow_the_cell_style_and_the_workbook_epoch():
    styles = (
        '<numFmts count="1"><numFmt numFmtId="165" formatCode="yyyy/mm/dd"/></numFmts>'
        '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="165"/>'
        '<xf numFmtId="46"/></cellXfs>'
    )
    rows = (
        '<row r="1"><c r="A1" s="1"><v>45292</v></c><c r="B1" s="2"><v>45292.5</v></c>'
        '<c r="C1" s="0"><v>45292</v></c><c r="D1" t="d"><v>2024-01-02T03:04:05</v></c>'
        '<c r="E1" s="3"><v>1.5</v></c></row>'
    )
    content = handmade(rows, styles=styles)
    cells = ours(content)[0][1]
    assert cells[0] == datetime.datetime(2024, 1, 1)
    assert cells[1] == datetime.datetime(2024, 1, 1, 12)
    assert cells[2] == 45292
    assert cells[3] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert cells[4] == datetime.timedelta(days=1, hours=12)
    assert ours(content) == oracle(content)
    mac = ours(handmade(rows, styles=styles, date1904=True))[0][1]
    assert mac[0] == datetime.datetime(2028, 1, 2)


def test_sparse_rows_missing_cells_and_cells_without_references():
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        # row 2 missing; row 3 has A and C only, C empty-valued, G beyond the width
        '<row r="3"><c r="A3"><v>1</v></c><c r="C3"><v>3</v></c><c r="D3"/>'
        '<c r="G3" t="inlineStr"><is><t>far</t></is></c></row>'
        # no r on the row or the cells: next row, columns counted from A
        '<row><c><v>7</v></c><c><v>8</v></c><c r="E4"><v>9</v></c></row>'
        '<row r="6" spans="1:5"></row>'
        '<row r="9"><c r="B9"><v></v></c><c r="AA9"><v>5</v></c></row>'
    )
    content = handmade(rows)
    got = ours(content)
    assert got == [
        (1, ["a", None, None, None, None], []),
        (3, [1, None, 3, None, None], ["far"]),
        (4, [7, 8, None, None, 9], []),
        (9, [None, None, None, None, None], [5]),
    ]
    assert got == oracle(content)


def test_openpyxl_and_xlsxwriter_files_read_the_same_as_openpyxl_reads_them(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    rich = CellRichText([TextBlock(InlineFont(b=True), "王"), "大明"])
    sheet.append(["A123456789", rich, "請假", 2.5, "=1+1"])
    sheet.append([None, None, None, None, None])
    sheet.append(["T000000001", "", "缺席", None, datetime.date(2024, 3, 1)])
    sheet.append([True, 0, -3, 1e-7, "x" * 300])
    buffer = io.BytesIO()
    book.save(buffer)
    assert ours(buffer.getvalue()) == oracle(buffer.getvalue())

    for options in ({}, {"constant_memory": True}):  # shared strings, then inline strings
        path = tmp_path / f"book{len(options)}.xlsx"
        wb = xlsxwriter.Workbook(path, options)
        ws = wb.add_worksheet()
        date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
        for c, h in enumerate(HEADERS):
            ws.write_string(0, c, h)
        ws.write_string(1, 0, "T000000002")
        ws.write_rich_string(1, 1, wb.add_format({"bold": True}), "林", "小華")
        ws.write_number(1, 3, 3)
        ws.write_boolean(1, 4, False)
        ws.write_datetime(3, 2, datetime.datetime(2024, 9, 1), date_format)
        ws.write_string(3, 8, "extra")
        wb.close()
        content = path.read_bytes()
        assert (
            b't="inlineStr"'
            in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
        ) == bool(options)
        assert ours(content) == oracle(content), options


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE worksheet SYSTEM "http://example.invalid/evil.dtd">',
    ],
)
def test_dtds_and_entities_are_refused(prolog):
    content = handmade('<row r="1"><c r="A1"><v>1</v></c></row>', sheet_prolog=prolog)
    with pytest.raises(xlsx_reader.XlsxError):
        ours(content)


def test_parts_are_read_under_a_byte_budget(monkeypatch):
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2000))
    content = handmade(rows)
    monkeypatch.setattr(xlsx_reader, "MAX_PART", 10_000)
    with pytest.raises(xlsx_reader.XlsxError) as exc:
        ours(content)
    assert exc.value.kind == "too_large"


def test_zips_with_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_MEMBERS", 5)
    with pytest.raises(xlsx_reader.XlsxError):
        ours(handmade('<row r="1"><c r="A1"><v>1</v></c></row>', shared=["x"]))


def test_rows_out_of_order_are_a_damaged_file():
    rows = '<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>'
    with pytest.raises(ValueError):
        ours(handmade(rows))


def test_memory_does_not_grow_with_the_rows(tmp_path):
    """Inline strings (a streaming writer's file): nothing is kept but the current rows.
    Shared strings keep one packed copy of each distinct string (see the next test)."""

    def peak_for(rows: int) -> int:
        path = tmp_path / f"rows{rows}.xlsx"
        wb = xlsxwriter.Workbook(path, {"constant_memory": True})
        ws = wb.add_worksheet()
        for r in range(rows):
            ws.write_string(r, 0, f"T{r:09d}")
            ws.write_string(r, 2, "全程參與")
            ws.write_number(r, 3, 3)
            ws.write_string(r, 4, f"備註{r}" * 3)
        wb.close()
        with open(path, "rb") as file:
            tracemalloc.start()
            count = sum(1 for _row in xlsx_reader.iter_rows(file, 5))
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert count == rows
        return peak

    small, large = peak_for(2_000), peak_for(60_000)
    assert large < 1024 * 1024
    assert large < small * 1.5


def test_shared_strings_are_packed():
    table = xlsx_reader.SharedStrings()
    tracemalloc.start()
    for i in range(50_000):
        table.append(f"T{i:09d}")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1.5 * 1024 * 1024  # ~10 bytes of text and 8 of offset per string
    assert (table[0], table[49_999], len(table)) == ("T000000000", "T000049999", 50_000)
    with pytest.raises(IndexError):
        table[50_000]


# --- through the upload -------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_of_a_sparse_inline_string_sheet_reports_the_sheets_row_numbers():
    course = course_held()
    organizer = organizer_of(course)
    known = [admit(course).teacher for _ in range(2)]
    entry.attendance_list_for(course, actor=organizer)
    walk_in = TeacherFactory()
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(HEADERS)
    )

    def text(ref, value):
        runs = f"<r><t>{value[:1]}</t></r><r><t>{value[1:]}</t></r>"
        return f'<c r="{ref}" t="inlineStr"><is>{runs}</is></c>'

    rows = (
        f'<row r="1">{header}</row>'
        f'<row r="4">{text("A4", known[0].personal_identifier)}{text("C4", "請假")}'
        '<c r="D4"><v>2.5</v></c></row>'
        f'<row r="7">{text("A7", walk_in.personal_identifier)}{text("C7", "全程參與")}</row>'
        f'<row r="8">{text("A8", known[1].personal_identifier)}{text("C8", "缺席")}'
        '<c r="D8" t="b"><v>1</v></c></row>'
        '<row r="9"><c r="B9"/></row>'
        f'<row r="12">{text("A12", "T12")}{text("C12", "缺席")}</row>'
    )
    up = entry.import_attendance_xlsx(
        actor=organizer, course=course, file=upload_file(handmade(rows))
    ).upload
    assert (up.total_rows, up.added, up.updated, up.rejected) == (4, 1, 1, 2)
    assert sorted((r[0], r[5]) for r in up.accepted_rows) == [(4, "updated"), (7, "added")]
    reasons = {r[0]: r[5] for r in up.rejected_rows}
    assert sorted(reasons) == [8, 12]
    assert "時數「True」不是數字" in reasons[8]  # TRUE is not hours (as openpyxl reads it)
    assert "10 碼" in reasons[12]
    first = AttendanceEntry.objects.get(course=course, teacher=known[0])
    assert (first.status, str(first.hours)) == ("leave", "2.5")


@pytest.mark.django_db
def test_upload_with_a_doctype_is_refused_whole():
    course = course_held()
    organizer = organizer_of(course)
    entry.attendance_list_for(course, actor=organizer)
    content = handmade(
        '<row r="1"><c r="A1"><v>1</v></c></row>',
        sheet_prolog='<!DOCTYPE worksheet [<!ENTITY a "x">]>',
    )
    with pytest.raises(entry.UploadRefused) as exc:
        entry.import_attendance_xlsx(actor=organizer, course=course, file=upload_file(content))
    assert "無法讀取檔案" in str(exc.value.message)
