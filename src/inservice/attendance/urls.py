"""Attendance URLs, from three areas: entry (grid, walk-ins, upload), sign-in sheets, and the
list's submission, confirmation and closing."""

from . import urls_closing, urls_entry, urls_sheets

app_name = "attendance"
urlpatterns = urls_entry.urlpatterns + urls_sheets.urlpatterns + urls_closing.urlpatterns
