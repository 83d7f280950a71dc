"""Enrollment URLs, from three areas: registration (register/my/organizer), calendar, alerts."""

from . import urls_alerts, urls_calendar, urls_registration

app_name = "enrollment"
urlpatterns = urls_registration.urlpatterns + urls_calendar.urlpatterns + urls_alerts.urlpatterns
