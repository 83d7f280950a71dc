"""Writes to teachers' training records: creating them at closing or from partners, and
cap exceptions. The rules themselves live in `inservice.records.hours`."""
