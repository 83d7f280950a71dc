"""Attendance URLs: sign-in sheets and lists of a course (xlsx / PDF) for its organizer."""

from django.urls import path

from . import views_sheets

urlpatterns = [
    path("manage/courses/<int:code>/sheets/", views_sheets.sheet_list, name="sheets"),
    path(
        "manage/courses/<int:code>/sheets/<slug:kind>.<slug:fmt>",
        views_sheets.sheet_download,
        name="sheet_download",
    ),
]
