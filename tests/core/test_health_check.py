"""The health check of a kept database connection polls its socket first
(`inservice.core.postgresql`): a quiet connection costs no round trip, one the server ended
is replaced before the request uses it."""

import time
from unittest import mock

import pytest
from django.db import connection, connections

from inservice.core.postgresql.base import has_input

pytestmark = pytest.mark.django_db(transaction=True)


def _new_request():
    # What Django does when a request starts with a kept connection.
    connection.health_check_done = False


def test_the_project_runs_on_its_backend():
    assert connection.settings_dict["ENGINE"] == "inservice.core.postgresql"
    assert connection.vendor == "postgresql"
    connection.ensure_connection()
    assert connection.health_check_enabled


def test_a_quiet_connection_is_kept_without_a_query():
    connection.ensure_connection()
    kept = connection.connection
    _new_request()
    wrapper = type(connections["default"])
    with mock.patch.object(wrapper, "is_usable", autospec=True) as is_usable:
        connection.close_if_health_check_failed()
    is_usable.assert_not_called()
    assert connection.connection is kept and connection.health_check_done


def _end_from_the_server(pid: int):
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_a_connection_the_server_ended_is_replaced_before_use():
    connection.ensure_connection()
    ended = connection.connection
    pid = ended.info.backend_pid
    _end_from_the_server(pid)
    deadline = time.monotonic() + 5
    while not has_input(ended) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert has_input(ended)
    _new_request()
    connection.close_if_health_check_failed()
    assert connection.connection is None  # replaced at the next query
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(new_pid,)] = cursor.fetchall()
    assert new_pid != pid


def test_a_closed_connection_counts_as_having_something_to_say():
    connection.ensure_connection()
    raw = connection.connection
    connection.close()
    assert has_input(raw)
