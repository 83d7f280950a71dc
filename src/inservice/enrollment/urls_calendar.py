"""Calendar: .ics per registration or course, the QR image, the private feed and its page."""

from django.urls import path

from . import views_calendar

urlpatterns = [
    path("my/calendar/", views_calendar.my_calendar, name="my_calendar"),
    path("my/calendar/revoke/", views_calendar.revoke, name="calendar_revoke"),
    path(
        "my/registrations/<int:pk>/calendar.ics",
        views_calendar.registration_ics,
        name="registration_ics",
    ),
    path(
        "my/registrations/<int:pk>/calendar-qr.png",
        views_calendar.registration_qr,
        name="registration_qr",
    ),
    path("courses/<int:code>/calendar.ics", views_calendar.course_ics, name="course_ics"),
    path("calendar/<str:token>.ics", views_calendar.feed, name="calendar_feed"),
]
