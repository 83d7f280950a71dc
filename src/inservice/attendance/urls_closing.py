"""Attendance URLs: the list's submission (organizer), confirmation and return (regional
center); confirming closes the course."""

from django.urls import path

from . import views_closing

urlpatterns = [
    path(
        "manage/courses/<int:code>/attendance/submit/",
        views_closing.submit,
        name="list_submit",
    ),
    path("review/attendance/", views_closing.review_queue, name="list_review_queue"),
    path(
        "review/attendance/<int:code>/",
        views_closing.review_detail,
        name="list_review_detail",
    ),
    path(
        "review/attendance/<int:code>/confirm/",
        views_closing.review_confirm,
        name="list_confirm",
    ),
    path(
        "review/attendance/<int:code>/return/",
        views_closing.review_return,
        name="list_return",
    ),
]
