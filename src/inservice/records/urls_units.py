"""Records URLs: a school's current teachers (/manage/records/) and a regional center's
jurisdiction (/review/records/), each with a drill-down to one teacher and xlsx exports."""

from django.urls import path

from . import views_units as views

urlpatterns: list = [
    path("manage/records/", views.school_records, name="school_records"),
    path("manage/records/export.xlsx", views.school_records_export, name="school_records_export"),
    path(
        "manage/records/teachers/<int:pk>/",
        views.school_teacher_records,
        name="school_teacher_records",
    ),
    path(
        "manage/records/teachers/<int:pk>/export.xlsx",
        views.school_teacher_export,
        name="school_teacher_export",
    ),
    path("review/records/", views.center_records, name="center_records"),
    path("review/records/export.xlsx", views.center_records_export, name="center_records_export"),
    path(
        "review/records/teachers/<int:pk>/",
        views.center_teacher_records,
        name="center_teacher_records",
    ),
    path(
        "review/records/teachers/<int:pk>/export.xlsx",
        views.center_teacher_export,
        name="center_teacher_export",
    ),
]
