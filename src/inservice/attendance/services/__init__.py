"""Attendance services: entry (the grid, walk-ins, uploads) and closing (submit, confirm, close)."""
