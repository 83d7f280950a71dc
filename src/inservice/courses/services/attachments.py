"""Course attachments (附件四 10 研習附件): upload, download permission, delete.

Files are checked from their content, never from the name or the browser's content type:
`filetype` recognises PDF, JPEG and PNG; Office Open XML and OpenDocument files are zip
archives, told apart by `[Content_Types].xml` or the `mimetype` entry; legacy .doc/.xls/.ppt
are OLE2 compound files (D0 CF 11 E0), told apart by the streams of their root storage.
The extension must name the same type as the content. Files are stored under MEDIA_ROOT with
a random name (never served by a static or media URL) and downloaded through a view that
asks `can_download`.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed

from .. import permissions
from ..models import CourseAttachment, CourseStatus

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# kind → (content type, what to call it in messages)
KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "doc": ("application/msword", "Word 97-2003 (.doc)"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word (.docx)",
    ),
    "xls": ("application/vnd.ms-excel", "Excel 97-2003 (.xls)"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel (.xlsx)",
    ),
    "ppt": ("application/vnd.ms-powerpoint", "PowerPoint 97-2003 (.ppt)"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint (.pptx)",
    ),
    "odt": ("application/vnd.oasis.opendocument.text", "OpenDocument 文字 (.odt)"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument 試算表 (.ods)"),
    "odp": ("application/vnd.oasis.opendocument.presentation", "OpenDocument 簡報 (.odp)"),
    "jpg": ("image/jpeg", "JPEG 圖片"),
    "png": ("image/png", "PNG 圖片"),
}
# File name extension → kind.
EXTENSIONS = {kind: kind for kind in KINDS} | {"jpeg": "jpg"}

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
_ODF_MIMETYPES = {KINDS[k][0]: k for k in ("odt", "ods", "odp")}
_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# Streams in an OLE2 file's root storage that identify the legacy Office formats.
_OLE2_STREAMS = (("WordDocument", "doc"), ("PowerPoint Document", "ppt"), ("Workbook", "xls"))
_OLE2_BOOK = ("Book", "xls")  # Excel 5/95 workbooks


def max_bytes() -> int:
    return int(getattr(settings, "COURSE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_extensions() -> list[str]:
    return sorted(EXTENSIONS)


# --- content sniffing ------------------------------------------------------------------------


def _zip_kind(content: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        if "mimetype" in names:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            return _ODF_MIMETYPES.get(mimetype)
        if "[Content_Types].xml" in names:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            found = re.findall(r'ContentType="([^"]+)"', types)
            kinds = {_OOXML_MAIN[t] for t in found if t in _OOXML_MAIN}
            return kinds.pop() if len(kinds) == 1 else None
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError):
        return None
    return None


def _ole2_root_streams(content: bytes) -> set[str]:
    """Names of the entries directly under an OLE2 file's root storage ([MS-CFB])."""
    if len(content) < 512:
        return set()
    sector_shift = struct.unpack_from("<H", content, 0x1E)[0]
    if sector_shift not in (9, 12):
        return set()
    size = 1 << sector_shift
    first_dir = struct.unpack_from("<I", content, 0x30)[0]
    fat_sectors = [s for s in struct.unpack_from("<109I", content, 0x4C) if s < 0xFFFFFFFA]

    def sector(n: int) -> bytes:
        start = (n + 1) * size
        return content[start : start + size]

    fat: list[int] = []
    for n in fat_sectors:
        data = sector(n)
        fat.extend(struct.unpack_from(f"<{len(data) // 4}I", data))
    entries: list[bytes] = []
    n, seen = first_dir, set()
    while n < 0xFFFFFFFA and n not in seen and len(seen) < 10_000:
        seen.add(n)
        data = sector(n)
        entries.extend(data[i : i + 128] for i in range(0, len(data) - 127, 128))
        n = fat[n] if n < len(fat) else 0xFFFFFFFE

    def entry(i: int):
        raw = entries[i]
        length = struct.unpack_from("<H", raw, 0x40)[0]
        name = raw[: max(0, length - 2)].decode("utf-16-le", "replace")
        left, right, child = struct.unpack_from("<III", raw, 0x44)
        return name, raw[0x42], left, right, child

    if not entries or entry(0)[1] != 5:  # 5 = root storage
        return set()
    names: set[str] = set()
    stack, visited = [entry(0)[4]], set()
    while stack:
        i = stack.pop()
        if i >= len(entries) or i in visited:
            continue
        visited.add(i)
        name, _type, left, right, _child = entry(i)
        names.add(name)
        stack.extend((left, right))
    return names


def _ole2_kind(content: bytes) -> str | None:
    try:
        names = _ole2_root_streams(content)
    except (struct.error, IndexError):
        return None
    for stream, kind in (*_OLE2_STREAMS, _OLE2_BOOK):
        if stream in names:
            return kind
    return None


def detect_kind(content: bytes) -> str | None:
    """The attachment kind (a key of KINDS) the content really is, or None."""
    if content.startswith(_OLE2_MAGIC):
        return _ole2_kind(content)
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    guess = filetype.guess(content[:8192])
    if guess is not None and guess.extension in ("pdf", "png", "jpg"):
        return guess.extension
    return None


# --- names -----------------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """The user's file name without any path, control characters or excess length."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _too_large(name: str, size: int) -> ValidationFailed:
    return ValidationFailed(
        _("檔案「%(name)s」有 %(size)s MB，超過上限 %(limit)s MB。")
        % {"name": name, "size": _mb(size), "limit": _mb(max_bytes())},
        field="file",
    )


def _check_file(name: str, content: bytes) -> str:
    """The kind of an acceptable file, or ValidationFailed with the specific reason."""
    allowed = "、".join(f".{e}" for e in allowed_extensions())
    if not content:
        raise ValidationFailed(
            _("檔案「%(name)s」是空的（0 位元組）。") % {"name": name}, field="file"
        )
    if len(content) > max_bytes():
        raise _too_large(name, len(content))
    ext = extension_of(name)
    if ext not in EXTENSIONS:
        raise ValidationFailed(
            _("不接受「%(ext)s」類型的檔案；可上傳：%(allowed)s。")
            % {"ext": f".{ext}" if ext else _("無副檔名"), "allowed": allowed},
            field="file",
        )
    kind = detect_kind(content)
    if kind is None:
        raise ValidationFailed(
            _("檔案「%(name)s」的內容不是可接受的類型（可上傳：%(allowed)s），或檔案已損毀。")
            % {"name": name, "allowed": allowed},
            field="file",
        )
    if EXTENSIONS[ext] != kind:
        raise ValidationFailed(
            _("副檔名「.%(ext)s」與檔案內容（%(actual)s）不符，請確認檔案或修正副檔名。")
            % {"ext": ext, "actual": KINDS[kind][1]},
            field="file",
        )
    return kind


# --- services --------------------------------------------------------------------------------


def _check_open(course):
    if course.status in (CourseStatus.CLOSED, CourseStatus.CANCELLED):
        raise DomainError(_("已取消或已結案的課程不能再新增或刪除附件。"), code="closed")


@transaction.atomic
def upload_attachment(*, actor, course, upload, is_public: bool = True) -> CourseAttachment:
    """Store one uploaded file for the course after checking size, type and extension."""
    if not permissions.can_manage(actor, course):
        raise PermissionDeniedError()
    _check_open(course)
    name = clean_name(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise _too_large(name, size)  # refused without reading it
    upload.seek(0)
    content = upload.read(max_bytes() + 1)
    kind = _check_file(name, content)
    attachment = CourseAttachment(
        course=course,
        original_name=name,
        content_type=KINDS[kind][0],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        is_public=bool(is_public),
    )
    attachment.file.save(name, ContentFile(content), save=False)
    stored = attachment.file.name
    try:
        attachment.save()
        log_event(
            "course.attachment_uploaded",
            actor=actor,
            obj=course,
            data={
                "attachment": attachment.pk,
                "name": name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "sha256": attachment.sha256,
                "is_public": attachment.is_public,
            },
        )
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def delete_attachment(*, actor, attachment: CourseAttachment) -> None:
    """Remove an attachment (the course's unit only, before it is closed or cancelled)."""
    course = attachment.course
    if not permissions.can_manage(actor, course):
        raise PermissionDeniedError()
    _check_open(course)
    storage, stored = attachment.file.storage, attachment.file.name
    log_event(
        "course.attachment_deleted",
        actor=actor,
        obj=course,
        data={"attachment": attachment.pk, "name": attachment.original_name},
    )
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(stored))


def is_publicly_visible(attachment: CourseAttachment) -> bool:
    """Public attachments of a course that has a public version and is not cancelled."""
    course = attachment.course
    return (
        attachment.is_public
        and course.published_id is not None
        and course.status in (CourseStatus.PUBLISHED, CourseStatus.CLOSED)
    )


def can_download(user, attachment: CourseAttachment) -> bool:
    """The course's unit, its reviewing center and the national center always; anyone
    else only a public attachment of a published course."""
    course = attachment.course
    return (
        is_publicly_visible(attachment)
        or permissions.can_manage(user, course)
        or permissions.can_review(user, course)
        or permissions.is_national_center(user)
    )
