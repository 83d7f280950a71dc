"""The public course page, the unit's course list, the course history and the change requests
after closing (organizer, regional center, national center)."""

from django.urls import path

from . import views_changes, views_public

urlpatterns = [
    path("courses/<int:code>/", views_public.public_detail, name="public_detail"),
    path("manage/courses/", views_public.unit_list, name="unit_list"),
    path("manage/courses/<int:code>/history/", views_public.history, name="history"),
    path(
        "manage/courses/<int:code>/change-request/",
        views_changes.request_change,
        name="change_request",
    ),
    path("review/change-requests/", views_changes.center_queue, name="change_request_queue"),
    path(
        "review/change-requests/<int:pk>/",
        views_changes.center_decide,
        name="change_request_review",
    ),
    path(
        "national/change-requests/",
        views_changes.national_queue,
        name="national_change_requests",
    ),
    path(
        "national/change-requests/<int:pk>/",
        views_changes.national_carry_out,
        name="national_change_request",
    ),
]
