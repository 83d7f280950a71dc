"""Records URLs: the teacher's PDF transcript (issued inline or by a job, with a
status page and a download) and its public verification page."""

from django.urls import path

from . import views_transcripts as views

urlpatterns = [
    path("my/records/transcript.pdf", views.transcript_pdf, name="transcript_pdf"),
    path(
        "my/records/transcripts/<str:code>/",
        views.transcript_status,
        name="transcript_status",
    ),
    path(
        "my/records/transcripts/<str:code>/transcript.pdf",
        views.transcript_download,
        name="transcript_download",
    ),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
