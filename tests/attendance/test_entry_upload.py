"""xlsx upload of attendance: good rows kept, bad rows rejected whole and reported."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from inservice.attendance.models import AttendanceEntry, AttendanceList, AttendanceUpload, ListState
from inservice.attendance.services import entry
from inservice.core.audit import history_for
from tests.attendance.entry_helpers import (
    HEADERS,
    admit,
    course_held,
    organizer_of,
    upload_file,
    xlsx_bytes,
)
from tests.factories import TeacherFactory, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    course = course_held()  # 6 hours
    organizer = organizer_of(course)
    ids = [make_id_number() for _ in range(3)]
    regs = [admit(course, TeacherFactory(id_number=i)) for i in ids]
    lst = entry.attendance_list_for(course, actor=organizer)
    return course, organizer, regs, ids, lst


def state(course):
    lst = AttendanceList.objects.get(course=course)
    return (
        lst.revision,
        list(
            AttendanceEntry.objects.filter(course=course)
            .order_by("pk")
            .values_list("teacher_id", "status", "hours_attended", "hours", "note", "walk_in")
        ),
        AttendanceUpload.objects.count(),
    )


def do_upload(course, organizer, content, name="attendance.xlsx"):
    return entry.import_attendance_xlsx(
        actor=organizer, course=course, file=upload_file(content, name=name)
    )


def test_good_rows_kept_bad_rows_rejected_whole_and_reported(held):
    course, organizer, regs, ids, lst = held
    newcomer, other, third = TeacherFactory(name="黃新來"), TeacherFactory(), TeacherFactory()
    good = ids[0][:-1] + str((int(ids[0][-1]) + 1) % 10)  # wrong check digit
    rows = [
        [ids[0], regs[0].teacher.name, "請假", 2.5, "家中有事"],  # 2: update, known by ID
        [newcomer.personal_identifier, "", "全程參與", None, None],  # 3: added
        [ids[1], "", "遲到或早退", 9, "遲到"],  # 4: above course hours
        [make_id_number(), "無此人", "全程參與", None, None],  # 5: unknown ID number
        [good, "", "缺席", None, None],  # 6: check digit
        [ids[2], "", "出遊", None, None],  # 7: status
        [None, None, None, None, None],  # blank rows are skipped
        [regs[2].teacher.personal_identifier, "", "請假", None, None],  # 9: hours missing
        [regs[1].teacher.personal_identifier, "別人", "缺席", None, None],  # 10: name mismatch
        ["T12", "", "缺席", None, None],  # 11: neither
        [other.personal_identifier, "", "缺席", "-1", None],  # 12: negative
        [third.personal_identifier, "", "請假", "1.2", None],  # 13: step
        [TeacherFactory().personal_identifier, "", "缺席", 2, None],  # 14: absent with hours
    ]
    outcome = do_upload(course, organizer, xlsx_bytes(rows))
    up = outcome.upload
    assert (up.total_rows, up.added, up.updated, up.rejected) == (12, 1, 1, 10)

    reasons = {r[0]: r[5] for r in up.rejected_rows}
    assert sorted(reasons) == [4, 5, 6, 7, 9, 10, 11, 12, 13, 14]
    assert "超過課程時數" in reasons[4]
    assert "查無此證號的教師" in reasons[5]
    assert "檢查碼錯誤" in reasons[6]
    assert "無法辨識" in reasons[7]
    assert "請填寫實際參與時數" in reasons[9]
    assert "姓名與此號碼登錄的教師姓名不符" in reasons[10]
    assert "10 碼" in reasons[11]
    assert "不可為負數" in reasons[12]
    assert "0.5 小時為單位" in reasons[13]
    assert "缺席者不填實際參與時數" in reasons[14]
    assert [p.key for p in outcome.problems] == [4, 5, 6, 7, 9, 10, 11, 12, 13, 14]
    assert sorted((r[0], r[5]) for r in up.accepted_rows) == [(2, "updated"), (3, "added")]

    updated = AttendanceEntry.objects.get(course=course, teacher=regs[0].teacher)
    assert (updated.status, updated.hours_attended, updated.hours, updated.note) == (
        "leave",
        Decimal("2.5"),
        Decimal("2.5"),
        "家中有事",
    )
    added = AttendanceEntry.objects.get(course=course, teacher=newcomer)
    assert added.walk_in and added.hours == Decimal("6") and added.updated_by == organizer
    # None of a rejected row is kept: the others stay as seeded.
    for reg in regs[1:]:
        e = AttendanceEntry.objects.get(course=course, teacher=reg.teacher)
        assert (e.status, e.hours, e.note) == ("attended", Decimal("6"), "")
    # No full ID number in the stored report or the audit trail.
    stored = str(up.accepted_rows) + str(up.rejected_rows)
    for id_number in ids:
        assert id_number not in stored
    event = history_for(lst).get(action="attendance.uploaded")
    assert event.data["rejected"] == 10 and event.data["added"] == 1


def test_rejected_rows_download_lists_reasons(held):
    course, organizer, regs, ids, _lst = held
    rows = [[ids[0], "", "缺席", None, None], [ids[1], "", "請假", 99, None]]
    up = do_upload(course, organizer, xlsx_bytes(rows)).upload
    book = load_workbook(io.BytesIO(entry.rejected_rows_xlsx(up)), read_only=True)
    values = list(book.worksheets[0].iter_rows(values_only=True))
    assert values[0][0] == "列號" and values[0][-1] == "未匯入原因"
    assert len(values) == 2
    assert values[1][0] == 3 and "超過課程時數" in values[1][-1]
    assert ids[1] not in str(values)


def test_same_person_twice_rejected_with_both_row_numbers(held):
    course, organizer, regs, ids, _lst = held
    before = state(course)
    rows = [
        [ids[0], "", "缺席", None, None],  # row 2
        [regs[1].teacher.personal_identifier, "", "缺席", None, None],  # row 3: fine
        [regs[0].teacher.personal_identifier, "", "請假", 3, None],  # row 4: same as row 2
    ]
    up = do_upload(course, organizer, xlsx_bytes(rows)).upload
    reasons = {r[0]: r[5] for r in up.rejected_rows}
    assert sorted(reasons) == [2, 4]
    assert "第 2、4 列" in reasons[2] and "第 2、4 列" in reasons[4]
    first = AttendanceEntry.objects.get(course=course, teacher=regs[0].teacher)
    assert first.status == "attended"  # neither duplicate row was applied
    assert AttendanceEntry.objects.get(course=course, teacher=regs[1].teacher).status == "absent"
    assert state(course)[1] != before[1]


@pytest.mark.parametrize("batch", [2, 1000])
def test_newcomer_twice_leaves_no_entry_across_and_within_batches(held, monkeypatch, batch):
    """Entries are looked up batch by batch with the teachers; a person found twice (in one
    batch or in two) gets no entry and no change from the upload, and the counts agree."""
    monkeypatch.setattr(entry, "BATCH", batch)
    course, organizer, regs, ids, _lst = held
    twice, once = TeacherFactory(), TeacherFactory()
    rows = [
        [twice.personal_identifier, "", "缺席", None, None],  # row 2
        [once.personal_identifier, "", "請假", 2, None],  # row 3: added
        [regs[0].teacher.personal_identifier, "", "缺席", None, None],  # row 4: updated
        [ids[1], "", "缺席", None, None],  # row 5: same person as row 7
        [twice.personal_identifier, "", "全程參與", None, None],  # row 6: same as row 2
        [regs[1].teacher.personal_identifier, "", "請假", 1, None],  # row 7
    ]
    up = do_upload(course, organizer, xlsx_bytes(rows)).upload
    assert (up.added, up.updated, up.rejected) == (1, 1, 4)
    assert sorted(r[0] for r in up.rejected_rows) == [2, 5, 6, 7]
    assert [(r[0], r[5]) for r in up.accepted_rows] == [(3, "added"), (4, "updated")]
    got = dict(AttendanceEntry.objects.filter(course=course).values_list("teacher_id", "status"))
    assert got == {
        regs[0].teacher_id: "absent",
        regs[1].teacher_id: "attended",  # neither of its rows applied
        regs[2].teacher_id: "attended",
        once.pk: "leave",
    }


def test_a_failure_while_checking_batches_stores_nothing(held, monkeypatch):
    """Batches are checked and staged in a second thread: its error reaches the caller and
    the upload's transaction keeps nothing (not the entries of the batches already done)."""
    monkeypatch.setattr(entry, "BATCH", 2)
    course, organizer, regs, ids, _lst = held
    newcomers = [TeacherFactory() for _ in range(6)]
    calls = []
    lookup = entry._lookup

    def failing_lookup(keys, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return lookup(keys, **kwargs)

    monkeypatch.setattr(entry, "_lookup", failing_lookup)
    before = state(course)
    rows = [[t.personal_identifier, "", "缺席", None, None] for t in newcomers]
    with pytest.raises(RuntimeError, match="went away"):
        do_upload(course, organizer, xlsx_bytes(rows))
    assert state(course) == before
    assert not connection.allow_thread_sharing
    # The connection is usable and a later upload works.
    monkeypatch.setattr(entry, "_lookup", lookup)
    assert do_upload(course, organizer, xlsx_bytes(rows)).upload.added == 6


def test_a_damaged_sheet_after_some_batches_stores_nothing(held, monkeypatch):
    monkeypatch.setattr(entry, "BATCH", 2)
    course, organizer, regs, ids, _lst = held
    rows = [[TeacherFactory().personal_identifier, "", "缺席", None, None] for _ in range(6)]
    content = xlsx_bytes(rows)
    source = zipfile.ZipFile(io.BytesIO(content))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<row r="6"', b'<row r="6"><broken')
            out.writestr(info, data)
    before = state(course)
    with pytest.raises(entry.UploadRefused):
        do_upload(course, organizer, damaged.getvalue())
    assert state(course) == before
    assert not connection.allow_thread_sharing


def test_reasons_are_in_the_uploaders_language(held):
    """Rows are checked in a second thread, which must use the uploader's language."""
    from django.utils import translation

    course, organizer, regs, ids, _lst = held
    rows = [[make_id_number(), "", "缺席", None, None], [ids[0], "別人", "缺席", None, None]]
    with translation.override("en"):
        up = do_upload(course, organizer, xlsx_bytes(rows)).upload
        expected = [str(entry.UNKNOWN_TEACHER), str(entry.NAME_MISMATCH)]
    assert [r[5] for r in up.rejected_rows] == expected
    assert expected[0].startswith("No teacher has this ID number")


def test_four_columns_without_note_and_numeric_cells(held):
    course, organizer, regs, ids, _lst = held
    rows = [[ids[0], "", "遲到或早退", 4], [ids[1], "", "請假", 3]]
    up = do_upload(course, organizer, xlsx_bytes(rows, headers=HEADERS[:4])).upload
    assert (up.updated, up.rejected) == (2, 0)
    e = AttendanceEntry.objects.get(course=course, teacher=regs[0].teacher)
    assert (e.status, e.hours_attended, e.hours) == ("partial", Decimal("4"), Decimal("4"))


def _corrupt_xlsx():
    data = xlsx_bytes([["T000000001", "", "缺席", None, None]])
    return data[: len(data) // 2]


def _zip_of_text():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def _empty_book():
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param(b"%PDF-1.4 not a spreadsheet", "無法讀取檔案", id="pdf"),
        pytest.param(
            "身分證號或個人識別碼,姓名,出席情形\nA123456789,王小明,全程參與\n".encode("big5"),
            "無法讀取檔案",
            id="big5-csv",
        ),
        pytest.param(bytes(range(256)) * 20, "無法讀取檔案", id="garbage"),
        pytest.param(b"", "無法讀取檔案", id="zero-bytes"),
        pytest.param(_corrupt_xlsx(), "無法讀取檔案", id="truncated-xlsx"),
        pytest.param(_zip_of_text(), "無法讀取檔案", id="zip-not-xlsx"),
        pytest.param(_empty_book(), "第一個工作表是空的", id="empty-sheet"),
        pytest.param(xlsx_bytes([]), "沒有資料列", id="headers-only"),
        pytest.param(
            xlsx_bytes([["A", "B"]], headers=["證號", "姓名", "狀態", "時數"]),
            "欄位名稱不符",
            id="wrong-headers",
        ),
        pytest.param(
            xlsx_bytes([["A"]], headers=[*HEADERS, "多的欄位"]), "欄位名稱不符", id="extra-column"
        ),
        pytest.param(
            xlsx_bytes([[None, None, None, None, None]] * 3), "沒有資料列", id="blank-rows"
        ),
    ],
)
def test_unreadable_files_refused_whole(held, content, fragment):
    course, organizer, _regs, _ids, _lst = held
    before = state(course)
    with pytest.raises(entry.UploadRefused) as exc:
        do_upload(course, organizer, content)
    assert fragment in str(exc.value.message)
    assert state(course) == before


def test_upload_to_locked_list_refused(held):
    course, organizer, _regs, ids, lst = held
    AttendanceList.objects.filter(pk=lst.pk).update(state=ListState.SUBMITTED)
    before = state(course)
    with pytest.raises(entry.AttendanceRefused) as exc:
        do_upload(course, organizer, xlsx_bytes([[ids[0], "", "缺席", None, None]]))
    assert exc.value.code == "submitted"
    assert state(course) == before


def test_upload_bumps_revision_so_an_open_grid_is_stale(held):
    course, organizer, _regs, ids, lst = held
    do_upload(course, organizer, xlsx_bytes([[ids[0], "", "缺席", None, None]]))
    with pytest.raises(entry.AttendanceRefused) as exc:
        entry.save_grid(actor=organizer, course=course, revision=lst.revision, rows=[])
    assert exc.value.code == "stale"


def _rows_for(teachers, start=0):
    statuses = ["全程參與", "缺席", "請假", "遲到或早退"]
    rows = []
    for i, t in enumerate(teachers, start=start):
        status = statuses[i % 4]
        hours = 3 if status in ("請假", "遲到或早退") else None
        rows.append([t.personal_identifier, t.name, status, hours, f"第{i}位"])
    return rows


def test_upload_queries_do_not_grow_with_rows():
    course = course_held()
    organizer = organizer_of(course)
    on_list = [admit(course).teacher for _ in range(60)]
    entry.attendance_list_for(course, actor=organizer)
    newcomers = [TeacherFactory() for _ in range(60)]

    def run(teachers):
        content = xlsx_bytes(_rows_for(teachers) + [["T12", "", "缺席", None, None]])
        with CaptureQueriesContext(connection) as ctx:
            up = do_upload(course, organizer, content).upload
        return len(ctx.captured_queries), up

    small_count, small = run(on_list[:3] + newcomers[:3])
    large_count, large = run(on_list[3:] + newcomers[3:])
    assert (small.updated, small.added, small.rejected) == (3, 3, 1)
    assert (large.updated, large.added, large.rejected) == (57, 57, 1)
    assert large_count == small_count


def test_status_labels_of_every_language_are_accepted(held):
    """The template is filled in the uploader's language; any site language's label works."""
    from django.utils import translation

    course, organizer, regs, ids, lst = held
    with translation.override("en"):
        english = {value: str(label) for value, label in entry.AttendanceStatus.choices}
        template = load_workbook(io.BytesIO(entry.template_xlsx(course)))
        validation = template.worksheets[0].data_validations.dataValidation[0]
        assert english["partial"] in validation.formula1
    rows = [
        [ids[0], "", english["leave"], 2, None],
        [ids[1], "", english["partial"].upper(), 5, None],
        [ids[2], "", "缺席", None, None],
    ]
    with translation.override("zh-hant"):
        outcome = do_upload(course, organizer, xlsx_bytes(rows))
    assert (outcome.upload.updated, outcome.upload.rejected) == (3, 0)
    got = dict(AttendanceEntry.objects.filter(course=course).values_list("teacher_id", "status"))
    assert got == {
        regs[0].teacher_id: "leave",
        regs[1].teacher_id: "partial",
        regs[2].teacher_id: "absent",
    }


def test_the_quick_checksum_test_agrees_with_classify():
    """parse_key skips `idnumbers.classify` for values whose checksum surely fails; it must
    never skip a valid ID number (nor let an invalid one through as valid)."""
    import random

    from inservice.core import idnumbers

    rng = random.Random(7)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    valid = [make_id_number() for _ in range(200)]
    candidates = valid + [
        rng.choice(letters) + rng.choice("1289ABCD") + "".join(rng.choices("0123456789", k=8))
        for _ in range(20_000)
    ]
    for value in candidates:
        try:
            idnumbers.classify(value)
            ok = True
        except idnumbers.InvalidIdNumber:
            ok = False
        assert entry._checksum_fails(value) is not ok, value
        key = entry.parse_key(value)
        assert (key.digest is not None) is ok
        assert bool(key.id_error) is not ok
