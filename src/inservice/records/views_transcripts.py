"""The teacher's PDF transcript and the public page that verifies one.

The verification page is public on purpose (a school or an employer checks a paper), so it
shows only what the transcript froze for that purpose: a masked name, the courses and hours,
the issue date. Nothing personal is in its URL: the code is random.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from inservice.core.access import public, teacher
from inservice.core.errors import DomainError, ValidationFailed

from .models import TrainingRecord
from .services import transcripts


@teacher
def transcript_pdf(request):
    """Issue a transcript of the logged-in teacher's own records and return it as PDF."""
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
    content = transcripts.transcript_pdf(transcript)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="transcript-{stamp}.pdf"'
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
