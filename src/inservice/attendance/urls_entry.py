"""Attendance URLs: entry (filled in by its area)."""

urlpatterns: list = []
