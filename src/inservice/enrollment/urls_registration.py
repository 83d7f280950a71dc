"""Registration URLs: register from the course page, my registrations, the organizer's
registrant list, and the public lottery draw page."""

from django.urls import path

from . import views_registration as views

urlpatterns = [
    path("courses/<int:code>/register/", views.register, name="register"),
    path("courses/<int:code>/draw/", views.draw_page, name="draw"),
    path("my/registrations/", views.my_registrations, name="my_registrations"),
    path("my/registrations/<int:pk>/", views.my_registration, name="my_registration"),
    path("my/registrations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("manage/courses/<int:code>/registrations/", views.manage, name="manage"),
    path(
        "manage/courses/<int:code>/registrations/options/",
        views.manage_options,
        name="manage_options",
    ),
    path(
        "manage/courses/<int:code>/registrations/<int:pk>/<str:action>/",
        views.manage_action,
        name="manage_action",
    ),
]
