"""Attendance URLs: closing (filled in by its area)."""

urlpatterns: list = []
