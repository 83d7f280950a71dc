"""Records URLs: the teacher's PDF transcript and its public verification page."""

from django.urls import path

from . import views_transcripts as views

urlpatterns = [
    path("my/records/transcript.pdf", views.transcript_pdf, name="transcript_pdf"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
