"""The teacher's PDF transcript, its status page and download (long transcripts are rendered
by a job), and the public page that verifies one.

The verification page is public on purpose (a school or an employer checks a paper), so it
shows only what the transcript froze for that purpose: a masked name, the courses and hours,
the issue date. Nothing personal is in its URL: the code is random.
"""

from __future__ import annotations

from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inservice.core.access import public, teacher
from inservice.core.errors import DomainError, ValidationFailed

from .models import TrainingRecord, Transcript
from .services import transcripts
from .tasks import render_transcript_pdf

REFRESH_SECONDS = 5


def _pdf_filename(transcript) -> str:
    return f"transcript-{timezone.localtime(transcript.issued_at):%Y%m%d}.pdf"


@teacher
@never_cache
def transcript_pdf(request):
    """Issue a transcript of the logged-in teacher's own records. A short one is rendered
    here and returned as PDF; a long one is rendered by a job and the teacher is sent to its
    status page, which offers the download once ready."""
    person = request.user.teacher
    try:
        period = transcripts.parse_period(request.GET)
    except ValidationFailed as exc:
        return render(
            request, "records/transcript_error.html", {"message": exc.message}, status=400
        )
    records = TrainingRecord.objects.filter(teacher=person).filter(period.filter())
    transcript = transcripts.issue_transcript(
        teacher=person, records=records, period=period.label, actor=request.user
    )
    if not transcripts.renders_inline(transcript):
        transaction.on_commit(lambda: render_transcript_pdf(transcript.pk))
        return redirect("records:transcript_status", code=transcript.code, permanent=False)
    content = transcripts.transcript_pdf(transcript)
    transcripts.store_pdf(transcript, content)  # the status page can offer it again
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_pdf_filename(transcript)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _own_transcript(request, code) -> Transcript:
    """The logged-in teacher's transcript with this code; anyone else's (or none) is 404."""
    try:
        code = transcripts.normalize_code(code)
    except DomainError:
        raise Http404 from None
    transcript = (
        Transcript.objects.select_related("teacher")
        .filter(code=code, teacher=request.user.teacher)
        .first()
    )
    if transcript is None:
        raise Http404
    return transcript


@teacher
@never_cache
@require_GET
def transcript_status(request, code):
    """Being prepared (the page reloads itself every few seconds, no script) or ready."""
    transcript = _own_transcript(request, code)
    ready = transcripts.pdf_is_stored(transcript)
    return render(
        request,
        "records/transcript_status.html",
        {
            "transcript": transcript,
            "issued": timezone.localtime(transcript.issued_at),
            "ready": ready,
            "failed": not ready and transcripts.pdf_is_stale(transcript),
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@teacher
@require_GET
def transcript_download(request, code):
    transcript = _own_transcript(request, code)
    if not transcripts.pdf_is_stored(transcript):
        return redirect("records:transcript_status", code=transcript.code)
    try:
        handle = transcript.pdf.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=_pdf_filename(transcript),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _no_index(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public
def verify_form(request):
    """A box to type a code in; it leads to the verification page of that code."""
    code = (request.GET.get("code") or "").strip()
    if code:
        try:
            return redirect("records:verify", code=transcripts.normalize_code(code))
        except DomainError as exc:
            return _no_index(
                render(
                    request,
                    "records/verify.html",
                    {"error": exc.message, "typed": code},
                    status=404,
                )
            )
    return _no_index(render(request, "records/verify.html", {}))


@public
def verify(request, code):
    try:
        transcript = transcripts.verify(code)
    except DomainError as exc:
        return _no_index(render(request, "records/verify.html", {"error": exc.message}, status=404))
    return _no_index(
        render(
            request,
            "records/verify.html",
            {"transcript": transcript, "issued": timezone.localtime(transcript.issued_at)},
        )
    )
