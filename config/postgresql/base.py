"""Django's PostgreSQL backend with a health check that costs no round trip.

CONN_HEALTH_CHECKS makes every request start by checking its kept connection, so a worker
reconnects after a database restart instead of failing a request (issue 9, `make faults`).
Django checks with `SELECT 1`: one more round trip per request, for the web process and for
PostgreSQL. A server that ends a connection (a restart, pg_terminate_backend, a crash of its
backend) says so on the socket — a FATAL message, then end of file — so an idle connection that
has anything to read is no longer usable. Looking costs one non-blocking poll().
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            poller = select.poll()
            poller.register(self.connection.fileno(), select.POLLIN | select.POLLPRI)
            # Idle between requests, the server has nothing to say unless it hung up.
            return not poller.poll(0)
        except (OSError, ValueError, base.Database.Error):
            return False
