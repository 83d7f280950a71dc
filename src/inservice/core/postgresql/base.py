"""Django's PostgreSQL backend, whose health check of a kept connection costs no round trip
while the connection is quiet.

With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` before the first query of every request
that reuses a connection: for a page that needs one query (a teacher's session and account)
that is half its round trips. A server that ends a connection — a restart, an administrator's
`pg_terminate_backend`, `idle_session_timeout` — sends an error message and closes it, so
the connection's socket becomes readable. A quiet idle connection has nothing to read. So the
socket is polled first (no wait): only when there is something to read does Django's own
check run and, if it fails, replace the connection before the request uses it. A connection
that died without a word (a network path cut) is found by its first query, as it would be
right after Django's check too.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def has_input(connection) -> bool:
    """Whether the server has sent anything on this connection (or it cannot be polled)."""
    try:
        if connection.closed or connection.broken:
            return True
        readable, _writable, _errors = select.select([connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and not has_input(self.connection)
        ):
            self.health_check_done = True  # quiet: usable, as far as a check could tell
            return
        super().close_if_health_check_failed()
