"""The regional center's pages: review queue, one course, auto-review settings and log."""

from django.urls import path

from . import views_review

urlpatterns = [
    path("review/", views_review.review_queue, name="review_queue"),
    path("review/approve/", views_review.review_approve_many, name="review_approve_many"),
    path(
        "review/autoreview/settings/",
        views_review.autoreview_settings,
        name="autoreview_settings",
    ),
    path("review/autoreview/log/", views_review.autoreview_log, name="autoreview_log"),
    path("review/<int:code>/", views_review.review_detail, name="review_detail"),
    path("review/<int:code>/approve/", views_review.review_approve, name="review_approve"),
    path("review/<int:code>/return/", views_review.review_return, name="review_return"),
]
