"""Organizer URLs (研習課程登錄). The unit's course list `/manage/courses/` (courses:unit_list)
is in urls_public. Attachments are downloaded at `/attachments/<pk>/` for everyone allowed
(the public too, for public files of published courses)."""

from django.urls import path

from . import views_manage as views

urlpatterns = [
    path("manage/courses/new/", views.create, name="create"),
    path("manage/courses/options/subjects/", views.options_subjects, name="options_subjects"),
    path("manage/courses/options/topics/", views.options_topics, name="options_topics"),
    path("manage/courses/options/tags/", views.options_tags, name="options_tags"),
    path("manage/courses/<int:code>/", views.manage_detail, name="manage_detail"),
    path("manage/courses/<int:code>/edit/", views.edit, name="edit"),
    path("manage/courses/<int:code>/submit/", views.submit, name="submit"),
    path("manage/courses/<int:code>/withdraw/", views.withdraw, name="withdraw"),
    path("manage/courses/<int:code>/cancel/", views.cancel, name="cancel"),
    path("manage/courses/<int:code>/attachments/", views.attachments, name="attachments"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
