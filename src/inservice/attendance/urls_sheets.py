"""Attendance URLs: sheets (filled in by its area)."""

urlpatterns: list = []
