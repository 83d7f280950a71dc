"""Course attachments: type from content, size limit, extension must match, private storage,
permission-checked download, delete, audit. The files are tiny real files built here."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inservice.accounts.models import StaffRole
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.core.models import AuditEvent
from inservice.courses.models import Course, CourseAttachment, CourseStatus
from inservice.courses.services import attachments as service
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import StaffFactory, UnitFactory, make_course

pytestmark = pytest.mark.django_db

# --- tiny real files -----------------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


OOXML = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml(kind: str = "docx") -> bytes:
    part, content_type = OOXML[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-'
            f'officedocument.{content_type}"/></Types>',
        )
        z.writestr(part, "<document/>")
    return buffer.getvalue()


def odf(kind: str = "text") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), f"application/vnd.oasis.opendocument.{kind}")
        z.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("notes.txt", "hello")
    return buffer.getvalue()


def ole2(*streams: str) -> bytes:
    """A minimal OLE2 compound file ([MS-CFB] v3) whose root storage holds `streams`."""
    free, end, fat_sector, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 0x2C, 1, 1, 0)  # 1 FAT sector, directory at sector 1
    struct.pack_into("<IIIII", header, 0x38, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int, left=nostream, right=nostream, child=nostream) -> bytes:
        raw = bytearray(128)
        encoded = name.encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 0x40, len(encoded) + 2, kind, 1)
        struct.pack_into("<III", raw, 0x44, left, right, child)
        struct.pack_into("<IQ", raw, 0x74, end, 0)
        return bytes(raw)

    # Root (entry 0) → first stream (entry 1); further streams hang off right siblings.
    entries = [entry("Root Entry", 5, child=1 if streams else nostream)]
    for i, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(streams) else nostream))
    directory = b"".join(entries).ljust(512, b"\0")
    return bytes(header) + fat + directory


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def course(taipei):
    return make_course(UnitFactory(county=taipei))


@pytest.fixture
def organizer(course):
    return StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user


def upload(course, actor, name, content, **kwargs):
    return service.upload_attachment(
        actor=actor, course=course, upload=SimpleUploadedFile(name, content), **kwargs
    )


# --- content sniffing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (png(), "png"),
        (JPEG, "jpg"),
        (ooxml("docx"), "docx"),
        (ooxml("xlsx"), "xlsx"),
        (ooxml("pptx"), "pptx"),
        (odf("text"), "odt"),
        (odf("spreadsheet"), "ods"),
        (odf("presentation"), "odp"),
        (ole2("WordDocument", "\x05SummaryInformation"), "doc"),
        (ole2("Workbook"), "xls"),
        (ole2("Current User", "PowerPoint Document"), "ppt"),
        (EXE, None),
        (plain_zip(), None),
        (ole2("Contents"), None),
        (b"just some text", None),
    ],
)
def test_kinds_are_detected_from_content(content, kind):
    assert service.detect_kind(content) == kind


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("議程.pdf", PDF, "application/pdf"),
        ("photo.PNG", png(), "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("講義.docx", ooxml("docx"), service.KINDS["docx"][0]),
        ("名單.xlsx", ooxml("xlsx"), service.KINDS["xlsx"][0]),
        ("簡報.pptx", ooxml("pptx"), service.KINDS["pptx"][0]),
        ("文件.odt", odf("text"), "application/vnd.oasis.opendocument.text"),
        ("舊檔.doc", ole2("WordDocument"), "application/msword"),
    ],
)
def test_accepted_files_are_stored_privately_with_their_real_type(
    client, course, organizer, name, content, content_type, settings
):
    attachment = upload(course, organizer, name, content)
    assert attachment.original_name == name
    assert attachment.content_type == content_type and attachment.size == len(content)
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == content
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert name.rsplit(".", 1)[0] not in attachment.file.name  # a random name on disk
    assert attachment.file.name.startswith(f"course-attachments/{course.code}/")
    for url in ("/" + attachment.file.name, "/media/" + attachment.file.name):
        assert client.get(url).status_code == 404  # no URL serves MEDIA_ROOT


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("fake.pdf", png(), "副檔名「.pdf」與檔案內容（PNG 圖片）不符"),
        ("report.xlsx", ooxml("docx"), "副檔名「.xlsx」與檔案內容（Word (.docx)）不符"),
        ("old.xls", ole2("WordDocument"), "副檔名「.xls」與檔案內容（Word 97-2003 (.doc)）不符"),
        ("setup.exe", EXE, "不接受「.exe」類型的檔案"),
        ("setup.pdf", EXE, "內容不是可接受的類型"),
        ("archive.docx", plain_zip(), "內容不是可接受的類型"),
        ("README", PDF, "不接受「無副檔名」類型的檔案"),
        ("empty.pdf", b"", "是空的"),
    ],
)
def test_refused_files_say_why(course, organizer, name, content, reason):
    with pytest.raises(ValidationFailed) as exc:
        upload(course, organizer, name, content)
    assert reason in str(exc.value.message)
    assert not CourseAttachment.objects.exists()


def test_the_size_limit_comes_from_settings(course, organizer, settings):
    assert service.max_bytes() == 10 * 1024 * 1024
    settings.COURSE_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationFailed) as exc:
        upload(course, organizer, "big.pdf", PDF + b"\0" * 100)
    assert "超過上限" in str(exc.value.message)
    upload(course, organizer, "small.pdf", PDF[:100])


def test_the_name_loses_any_path_and_control_characters(course, organizer):
    attachment = upload(course, organizer, "..\\..\\etc/講義\x00\x07.pdf", PDF)
    assert attachment.original_name == "講義.pdf"


def test_upload_and_delete_are_audited_and_delete_removes_the_file(
    course, organizer, django_capture_on_commit_callbacks
):
    attachment = upload(course, organizer, "議程.pdf", PDF, is_public=False)
    path = Path(attachment.file.path)
    event = AuditEvent.objects.get(action="course.attachment_uploaded")
    assert event.data["name"] == "議程.pdf" and event.data["is_public"] is False
    with django_capture_on_commit_callbacks(execute=True):
        service.delete_attachment(actor=organizer, attachment=attachment)
    assert not CourseAttachment.objects.exists() and not path.exists()
    assert AuditEvent.objects.filter(action="course.attachment_deleted").exists()


def test_only_the_unit_uploads_and_deletes(course, organizer, taipei):
    stranger = StaffFactory(unit=UnitFactory(county=taipei)).user
    with pytest.raises(PermissionDeniedError):
        upload(course, stranger, "a.pdf", PDF)
    attachment = upload(course, organizer, "a.pdf", PDF)
    with pytest.raises(PermissionDeniedError):
        service.delete_attachment(actor=stranger, attachment=attachment)


@pytest.mark.parametrize("status", [CourseStatus.CLOSED, CourseStatus.CANCELLED])
def test_no_changes_after_closing_or_cancelling(course, organizer, status):
    attachment = upload(course, organizer, "a.pdf", PDF)
    Course.objects.filter(pk=course.pk).update(status=status)
    course.refresh_from_db()
    with pytest.raises(DomainError):
        upload(course, organizer, "b.pdf", PDF)
    with pytest.raises(DomainError):
        service.delete_attachment(
            actor=organizer, attachment=CourseAttachment.objects.get(pk=attachment.pk)
        )


# --- download ----------------------------------------------------------------------------------


def download(client, attachment):
    return client.get(reverse("courses:attachment_download", args=[attachment.pk]))


def national_center_staff():
    return StaffFactory(unit=Unit.objects.filter(kind=UnitKind.NATIONAL_CENTER).first()).user


def test_download_headers(client, course, organizer):
    attachment = upload(course, organizer, "研習講義.pdf", PDF)
    client.force_login(organizer)
    response = download(client, attachment)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E7%A0%94%E7%BF%92%E8%AC%9B%E7%BE%A9.pdf" in disposition


def test_who_may_download_a_private_attachment_of_a_submitted_course(client, taipei):
    course = make_course(UnitFactory(county=taipei), submit=True)
    organizer = StaffFactory(unit=course.unit).user
    attachment = upload(course, organizer, "內部公文.pdf", PDF, is_public=False)
    other_center = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000")
    allowed = {
        "unit": organizer,
        "reviewer": StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user,
        "national center": national_center_staff(),
    }
    refused = {
        "other unit": StaffFactory(unit=UnitFactory(county=taipei)).user,
        "other center": StaffFactory(unit=other_center).user,
    }
    for who, user in allowed.items():
        client.force_login(user)
        assert download(client, attachment).status_code == 200, who
    for who, user in refused.items():
        client.force_login(user)
        assert download(client, attachment).status_code == 404, who
    client.logout()
    response = download(client, attachment)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_public_downloads_only_public_files_of_published_courses(client, taipei):
    draft = make_course(UnitFactory(county=taipei))
    published = make_course(UnitFactory(county=taipei), approve=True)
    files = {}
    for label, course in (("draft", draft), ("published", published)):
        organizer = StaffFactory(unit=course.unit).user
        files[label, True] = upload(course, organizer, "講義.pdf", PDF, is_public=True)
        files[label, False] = upload(course, organizer, "公文.pdf", PDF, is_public=False)
    assert download(client, files["published", True]).status_code == 200
    for key in (("published", False), ("draft", True), ("draft", False)):
        assert download(client, files[key]).status_code == 302, key
    Course.objects.filter(pk=published.pk).update(status=CourseStatus.CANCELLED)
    assert download(client, files["published", True]).status_code == 302
    # a logged-in stranger gets 404 for what is not public, like for a missing file
    client.force_login(StaffFactory(unit=UnitFactory(county=taipei)).user)
    assert download(client, files["draft", True]).status_code == 404
    missing = client.get(reverse("courses:attachment_download", args=[999999]))
    assert missing.status_code == 404


# --- the page ---------------------------------------------------------------------------------


def test_upload_page_stores_and_lists_a_file(client, course, organizer):
    client.force_login(organizer)
    url = reverse("courses:attachments", args=[course.code])
    response = client.post(
        url, {"file": SimpleUploadedFile("講義.docx", ooxml("docx")), "is_public": "on"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "講義.docx" in page and "公開於課程頁面" in page


def test_upload_page_shows_the_reason_of_a_refusal(client, course, organizer):
    client.force_login(organizer)
    url = reverse("courses:attachments", args=[course.code])
    response = client.post(url, {"file": SimpleUploadedFile("fake.pdf", png())})
    assert response.status_code == 200
    assert "副檔名「.pdf」與檔案內容（PNG 圖片）不符" in response.content.decode()
    assert not CourseAttachment.objects.exists()


def test_delete_over_http(client, course, organizer, taipei, django_capture_on_commit_callbacks):
    attachment = upload(course, organizer, "a.pdf", PDF)
    url = reverse("courses:attachment_delete", args=[attachment.pk])
    client.force_login(StaffFactory(unit=UnitFactory(county=taipei)).user)
    assert client.post(url).status_code == 404
    client.force_login(organizer)
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert not CourseAttachment.objects.exists()


def test_a_reviewer_cannot_delete(client, taipei):
    course = make_course(UnitFactory(county=taipei), submit=True)
    attachment = upload(course, StaffFactory(unit=course.unit).user, "a.pdf", PDF)
    client.force_login(StaffFactory(unit=course.reviewing_center).user)
    assert (
        client.post(reverse("courses:attachment_delete", args=[attachment.pk])).status_code == 404
    )
    assert CourseAttachment.objects.filter(pk=attachment.pk).exists()
