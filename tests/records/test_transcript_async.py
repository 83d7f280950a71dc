"""Long transcripts: issued in the request, rendered by a Huey job, offered on an owner-only
status page (refreshing itself, no script) and downloaded from private storage."""

import datetime

import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone

from inservice.core.models import AuditEvent
from inservice.records.models import Transcript
from inservice.records.services import transcripts
from inservice.records.tasks import render_transcript_pdf
from tests.factories import StaffFactory, UnitFactory, make_teacher_user
from tests.records import test_transcript as base

ID_NUMBER = base.ID_NUMBER
pdf_reader = base.pdf_reader
teacher_user = base.teacher_user  # the fixtures: a teacher with an ID number, three records
records = base.records

STATUS_REFRESH = '<meta http-equiv="refresh" content="5">'


@pytest.fixture
def long_threshold(settings):
    """More than one record counts as long: the job path without rendering 55 pages."""
    settings.TRANSCRIPT_INLINE_MAX_ENTRIES = 1
    settings.SITE_URL = "https://inservice.example.tw"


def test_default_threshold(settings):
    assert transcripts.inline_limit() == 200


@pytest.mark.django_db
def test_long_transcript_goes_through_the_job(
    client, teacher_user, records, long_threshold, django_capture_on_commit_callbacks
):
    client.force_login(teacher_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(reverse("records:transcript_pdf"), {"year": "2024"})
    # Issued at once, audited now; the PDF is not rendered yet.
    transcript = Transcript.objects.get(teacher=teacher_user.teacher)
    status_url = reverse("records:transcript_status", args=[transcript.code])
    download_url = reverse("records:transcript_download", args=[transcript.code])
    assert response.status_code == 302 and response["Location"] == status_url
    assert transcript.period == "2024 年" and len(transcript.entries) == 2
    assert not transcript.pdf and transcript.pdf_ready_at is None
    event = AuditEvent.objects.get(action="records.transcript_issued")
    assert event.actor == teacher_user and event.object_id == str(transcript.pk)
    assert len(callbacks) == 1

    # Being prepared: the page reloads itself and offers a plain link, no download yet.
    page = client.get(status_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "證明製作中" in html and STATUS_REFRESH in html
    assert f'href="{status_url}"' in html and download_url not in html
    assert "no-store" in page["Cache-Control"]
    early = client.get(download_url)
    assert early.status_code == 302 and early["Location"] == status_url

    callbacks[0]()  # the job (Huey runs it at once in tests)
    transcript.refresh_from_db()
    assert transcript.pdf.name == f"transcripts/{transcript.code}.pdf"
    assert transcript.pdf_ready_at is not None

    page = client.get(status_url)
    html = page.content.decode()
    assert "證明已製作完成" in html and "http-equiv" not in html
    assert f'href="{download_url}"' in html

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "no-store" in download["Cache-Control"]
    content = b"".join(download.streaming_content)
    reader = pdf_reader(content)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "王小明" in text and transcript.code in text
    assert "閱讀理解策略教學工作坊" in text and "特殊教育知能三小時研習" not in text
    assert ID_NUMBER not in text and "1983" not in text
    images = [image for p in reader.pages for image in p.images]
    decoded = zxingcpp.read_barcodes(images[0].image)
    assert [d.text for d in decoded] == [f"https://inservice.example.tw/verify/{transcript.code}/"]

    # The public verification page is as before.
    verify = client.get(reverse("records:verify", args=[transcript.code]))
    assert verify.status_code == 200 and "王○明" in verify.content.decode()
    assert "王小明" not in verify.content.decode()


@pytest.mark.django_db
def test_job_runs_through_huey_after_commit(
    client, teacher_user, records, long_threshold, django_capture_on_commit_callbacks
):
    client.force_login(teacher_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("records:transcript_pdf"))
    transcript = Transcript.objects.get(teacher=teacher_user.teacher)
    assert response["Location"] == reverse("records:transcript_status", args=[transcript.code])
    assert transcripts.pdf_is_stored(transcript)
    assert "證明已製作完成" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_short_transcript_is_inline_and_kept(client, teacher_user, records):
    client.force_login(teacher_user)
    response = client.get(reverse("records:transcript_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    transcript = Transcript.objects.get(teacher=teacher_user.teacher)
    assert transcripts.pdf_is_stored(transcript)
    assert transcript.pdf.read() == response.content
    page = client.get(reverse("records:transcript_status", args=[transcript.code]))
    assert reverse("records:transcript_download", args=[transcript.code]) in page.content.decode()


@pytest.mark.django_db
def test_status_and_download_are_the_owners_only(
    client, teacher_user, records, long_threshold, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
        render_transcript_pdf(transcript.pk)
    urls = [
        reverse("records:transcript_status", args=[transcript.code]),
        reverse("records:transcript_download", args=[transcript.code]),
    ]
    client.force_login(teacher_user)
    assert [client.get(url).status_code for url in urls] == [200, 200]

    client.force_login(make_teacher_user(UnitFactory()))
    assert [client.get(url).status_code for url in urls] == [404, 404]
    unknown = transcripts.new_code()
    for code in (unknown, "not-a-code"):
        assert client.get(reverse("records:transcript_status", args=[code])).status_code == 404
        assert client.get(reverse("records:transcript_download", args=[code])).status_code == 404

    client.force_login(StaffFactory().user)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.logout()
    assert all("login" in client.get(url)["Location"] for url in urls)


@pytest.mark.django_db
def test_the_job_is_idempotent(teacher_user, records, long_threshold):
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    name = transcripts.transcript_pdf_path(transcript, "")
    storage = transcript.pdf.storage
    storage.save(name, __import__("io").BytesIO(b"half-written"))  # a crashed attempt's file

    assert render_transcript_pdf(transcript.pk).get() is True
    transcript.refresh_from_db()
    first_content = transcript.pdf.read()
    first_ready = transcript.pdf_ready_at
    assert first_content.startswith(b"%PDF") and transcript.pdf.name == name
    assert storage.listdir("transcripts")[1] == [f"{transcript.code}.pdf"]

    assert render_transcript_pdf(transcript.pk).get() is False
    assert transcripts.render_and_store_pdf(transcript.pk) is False
    transcript.refresh_from_db()
    assert transcript.pdf_ready_at == first_ready
    with transcript.pdf.open("rb") as handle:
        assert handle.read() == first_content
    assert storage.listdir("transcripts")[1] == [f"{transcript.code}.pdf"]

    assert render_transcript_pdf(10**9).get() is False  # gone: nothing to do


@pytest.mark.django_db
def test_a_job_that_never_finished_is_reported(client, teacher_user, records, long_threshold):
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    Transcript.objects.filter(pk=transcript.pk).update(
        issued_at=timezone.now() - datetime.timedelta(minutes=20)
    )
    client.force_login(teacher_user)
    page = client.get(reverse("records:transcript_status", args=[transcript.code]))
    html = page.content.decode()
    assert "未能製作完成" in html and "http-equiv" not in html
    assert reverse("records:transcript_pdf") in html
