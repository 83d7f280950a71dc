"""Attendance URLs: entry by the organizer (grid, walk-ins, xlsx upload and its report)."""

from django.urls import path

from . import views_entry as views

urlpatterns = [
    path("manage/courses/<int:code>/attendance/", views.grid, name="grid"),
    path("manage/courses/<int:code>/attendance/walk-in/", views.walk_in, name="walk_in"),
    path("manage/courses/<int:code>/attendance/upload/", views.upload, name="upload"),
    path(
        "manage/courses/<int:code>/attendance/upload/template.xlsx",
        views.upload_template,
        name="upload_template",
    ),
    path(
        "manage/courses/<int:code>/attendance/uploads/<int:pk>/",
        views.upload_report,
        name="upload_report",
    ),
    path(
        "manage/courses/<int:code>/attendance/uploads/<int:pk>/rejected.xlsx",
        views.upload_rejected,
        name="upload_rejected",
    ),
]
