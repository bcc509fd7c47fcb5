"""Django's PostgreSQL backend with a health check that costs no round trip.

A server that ends a connection says so on its socket, so one non-blocking poll() replaces
Django's `SELECT 1` per request. See docs/reliability.md, finding 10.
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
