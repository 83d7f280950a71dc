"""Transcripts (研習時數證明): a frozen copy of a teacher's records that anyone holding the
paper can check at `/verify/<code>/`.

Issuing is immediate (the row, its code and the audit event are written in the request); the
PDF of a long transcript (more than `inline_limit()` entries: 1,500 records are 55 pages and
13–18 s of WeasyPrint) is rendered by a Huey task (`records.tasks.render_transcript_pdf`) and
stored privately under MEDIA_ROOT/transcripts/<code>.pdf, where the teacher downloads it.

The verification code is 12 random characters plus 4 check characters derived from an HMAC
keyed by SECRET_KEY (Crockford base-32, printed as XXXX-XXXX-XXXX-XXXX): it cannot be
guessed, and a mistyped or altered code is refused before the database is asked. The public
page shows only what the transcript froze: a masked name, the courses and hours, the date.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.accounts.models import Teacher
from inservice.core.audit import log_event
from inservice.core.errors import DomainError, NotFoundError, ValidationFailed
from inservice.core.pdf import render_pdf
from inservice.records.models import TrainingRecord, Transcript, transcript_pdf_path

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
RANDOM_LENGTH = 12  # 60 bits
CHECK_LENGTH = 4  # 20 bits
CODE_SALT = "inservice.records.transcript-code"
MASK = "○"
_SEPARATORS = re.compile(r"([\s·．.\-‧・]+)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


class TranscriptCodeMalformed(ValidationFailed):
    code = "transcript_code_malformed"
    default_message = gettext_lazy("驗證碼格式不正確")


class TranscriptNotFound(NotFoundError):
    code = "transcript_not_found"
    default_message = gettext_lazy("查無此驗證碼")


class TranscriptAltered(DomainError):
    code = "transcript_altered"
    default_message = gettext_lazy("此證明的內容與核發時不符")


# --- masked names ------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """王小明 → 王○明, 王明 → 王○, 歐陽小明 → 歐○○明; Latin names keep each part's initial
    (Mary Lin → M*** L**); parts joined by a dot or space are masked one by one."""
    name = (name or "").strip()
    if not name:
        return ""
    parts = _SEPARATORS.split(name)
    return "".join(
        part if _SEPARATORS.fullmatch(part) else _mask_part(part) for part in parts if part
    )


def _mask_part(part: str) -> str:
    if _CJK.search(part):
        if len(part) == 1:
            return MASK
        if len(part) == 2:
            return part[0] + MASK
        return part[0] + MASK * (len(part) - 2) + part[-1]
    return part[0] + "*" * max(len(part) - 1, 1)


# --- verification codes ------------------------------------------------------------------


def _check(random_part: str, secret: str | None = None) -> str:
    digest = salted_hmac(CODE_SALT, random_part, secret=secret, algorithm="sha256").digest()
    number = int.from_bytes(digest[:4], "big") >> (32 - 5 * CHECK_LENGTH)
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CHECK_LENGTH)))


def _format(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_code() -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return _format(random_part + _check(random_part))


def normalize_code(text: str) -> str:
    """The code as stored (XXXX-XXXX-XXXX-XXXX), from what someone typed or scanned;
    raises TranscriptCodeMalformed if it is not one of ours (format or check characters)."""
    raw = re.sub(r"[\s\-]", "", str(text or "")).upper()
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(raw) != RANDOM_LENGTH + CHECK_LENGTH or any(c not in ALPHABET for c in raw):
        raise TranscriptCodeMalformed(_("驗證碼格式不正確"))
    random_part, check = raw[:RANDOM_LENGTH], raw[RANDOM_LENGTH:]
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(check, _check(random_part, s)) for s in secrets_):
        raise TranscriptCodeMalformed(_("驗證碼格式不正確"))
    return _format(raw)


def verification_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("records:verify", args=[code])


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Which records a transcript covers: every one, a calendar year, or school years."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    label: str = ""

    def filter(self) -> Q:
        q = Q()
        if self.start:
            q &= Q(start_date__gte=self.start)
        if self.end:
            q &= Q(start_date__lte=self.end)
        return q


def school_year_dates(year: int) -> tuple[datetime.date, datetime.date]:
    """ROC school year N (學年度) runs from 1 August of N+1911 to 31 July of the next year."""
    return datetime.date(year + 1911, 8, 1), datetime.date(year + 1912, 7, 31)


def parse_period(params) -> Period:
    """From GET parameters: `year` (calendar year, 2024) or `school_year_from` /
    `school_year_to` (ROC school years, 112–113); nothing means every record."""

    def number(key, low, high, message):
        text = (params.get(key) or "").strip()
        if not text:
            return None
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValidationFailed(message, field=key)
        return int(text)

    today = timezone.localdate()
    year = number("year", 1990, today.year + 1, _("年度須為西元年，例如 2024。"))
    first = number("school_year_from", 79, today.year - 1910, _("學年度須為民國年，例如 113。"))
    last = number("school_year_to", 79, today.year - 1910, _("學年度須為民國年，例如 113。"))
    if year is not None and (first is not None or last is not None):
        raise ValidationFailed(_("請擇一選擇年度或學年度。"))
    if year is not None:
        return Period(
            datetime.date(year, 1, 1),
            datetime.date(year, 12, 31),
            _("%(year)d 年") % {"year": year},
        )
    if first is None and last is None:
        return Period()
    first = first if first is not None else last
    last = last if last is not None else first
    if first > last:
        raise ValidationFailed(_("起始學年度不可晚於結束學年度。"), field="school_year_from")
    label = (
        _("%(year)d 學年度") % {"year": first}
        if first == last
        else _("%(first)d–%(last)d 學年度") % {"first": first, "last": last}
    )
    return Period(school_year_dates(first)[0], school_year_dates(last)[1], label)


# --- issuing -----------------------------------------------------------------------------


def _hours_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1'))}"


def _snapshot_entries(records) -> list[dict]:
    return [
        {
            "course_code": r.course_code,
            "course_name": r.course_name,
            "start_date": r.start_date.isoformat(),
            "end_date": r.end_date.isoformat(),
            "hours": _hours_text(r.hours),
        }
        for r in sorted(records, key=lambda r: (r.start_date, r.course_code, r.pk))
    ]


def compute_digest(transcript: Transcript) -> str:
    """SHA-256 of the canonical JSON of what the transcript says."""
    payload = {
        "code": transcript.code,
        "masked_name": transcript.masked_name,
        "period": transcript.period,
        "entries": transcript.entries,
        "total_hours": _hours_text(transcript.total_hours),
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def issue_transcript(*, teacher: Teacher, records=None, period: str = "", actor=None) -> Transcript:
    """Freeze `records` (default: all of the teacher's) into a new Transcript (audited)."""
    if records is None:
        records = TrainingRecord.objects.filter(teacher=teacher)
    records = list(records)
    if any(r.teacher_id != teacher.pk for r in records):
        raise ValidationFailed(_("研習紀錄不屬於此教師。"))
    entries = _snapshot_entries(records)
    total = sum((Decimal(e["hours"]) for e in entries), Decimal(0))
    with transaction.atomic():
        code = new_code()
        while Transcript.objects.filter(code=code).exists():  # 2^-60 per pair: belt and braces
            code = new_code()
        transcript = Transcript(
            code=code,
            teacher=teacher,
            masked_name=mask_name(teacher.name),
            entries=entries,
            total_hours=total,
            period=period,
        )
        transcript.digest = compute_digest(transcript)
        transcript.save()
        log_event(
            "records.transcript_issued",
            actor=actor,
            obj=transcript,
            data={"entries": len(entries), "total_hours": str(total), "period": period},
        )
    return transcript


def verify(code: str) -> Transcript:
    """The transcript for a code, or a specific error: malformed / unknown / altered."""
    normalized = normalize_code(code)
    transcript = Transcript.objects.filter(code=normalized).first()
    if transcript is None:
        raise TranscriptNotFound(_("查無此驗證碼"))
    if not hmac.compare_digest(transcript.digest, compute_digest(transcript)):
        raise TranscriptAltered(_("此證明的內容與核發時不符"))
    return transcript


# --- the PDF -----------------------------------------------------------------------------


def qr_png(url: str) -> bytes:
    import segno

    out = BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def transcript_pdf(transcript: Transcript) -> bytes:
    """The teacher's own copy: full name (never an ID number or birth date), the records,
    the total, the issue date, the code and a QR code of the verification URL."""
    url = verification_url(transcript.code)
    teacher = transcript.teacher
    issued = timezone.localtime(transcript.issued_at)
    return render_pdf(
        "records/transcript_pdf.html",
        {
            "doc_title": _("教師在職進修研習時數證明"),
            "transcript": transcript,
            "teacher_name": teacher.name,
            "unit_name": teacher.serving_unit.name if teacher.serving_unit_id else "",
            "issued": issued,
            "verify_url": url,
            "verify_page": settings.SITE_URL.rstrip("/") + reverse("records:verify_form"),
        },
        images={"qr": qr_png(url)},
    )


# --- the stored PDF ----------------------------------------------------------------------

INLINE_MAX_ENTRIES = 200  # up to this many entries the PDF is rendered in the request
STALE_AFTER = datetime.timedelta(minutes=15)  # a job not done by then is reported as failed


def inline_limit() -> int:
    return int(getattr(settings, "TRANSCRIPT_INLINE_MAX_ENTRIES", INLINE_MAX_ENTRIES))


def renders_inline(transcript: Transcript) -> bool:
    return len(transcript.entries) <= inline_limit()


def pdf_is_stored(transcript: Transcript) -> bool:
    return bool(
        transcript.pdf_ready_at
        and transcript.pdf.name
        and transcript.pdf.storage.exists(transcript.pdf.name)
    )


def pdf_is_stale(transcript: Transcript) -> bool:
    """Not ready long after issuing: the job failed (its retries included) or was lost."""
    return not pdf_is_stored(transcript) and timezone.now() - transcript.issued_at > STALE_AFTER


def store_pdf(transcript: Transcript, content: bytes) -> bool:
    """Keep `content` as the transcript's PDF unless one is already stored (then False).
    The file name is fixed by the code, so a second attempt replaces a half-written file."""
    with transaction.atomic():
        locked = Transcript.objects.select_for_update().get(pk=transcript.pk)
        if pdf_is_stored(locked):
            return False
        name = transcript_pdf_path(locked, "")
        storage = locked.pdf.storage
        if storage.exists(name):
            storage.delete(name)  # left by an attempt whose transaction did not commit
        locked.pdf.save(name, ContentFile(content), save=False)
        locked.pdf_ready_at = timezone.now()
        locked.save(update_fields=["pdf", "pdf_ready_at"])
    transcript.pdf, transcript.pdf_ready_at = locked.pdf, locked.pdf_ready_at
    return True


def render_and_store_pdf(transcript_id: int) -> bool:
    """The job: render and store the PDF once. Idempotent: a transcript whose PDF is stored
    (or that no longer exists) is left alone; returns whether a PDF was stored."""
    transcript = (
        Transcript.objects.select_related("teacher__serving_unit").filter(pk=transcript_id).first()
    )
    if transcript is None or pdf_is_stored(transcript):
        return False
    return store_pdf(transcript, transcript_pdf(transcript))
