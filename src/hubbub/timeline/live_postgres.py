"""The live channel across processes, through PostgreSQL's LISTEN/NOTIFY.

For `hubbub web` and `hubbub worker` running apart (HUBBUB_LIVE_BACKEND=postgres): the worker's
ingest publishes here, the web process that holds the browser's connection hears it. How the
outbox, the sender and listener threads and the resync after a lost link work is in
live_broker.py; here: `SELECT pg_notify(...)` on an autocommit connection to send, `LISTEN` on
another to hear. NOTIFY payloads are limited to 8000 bytes, so an event carries at most MAX_IDS
item ids (views only use the feeds and the count).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hubbub.timeline.live_broker import BrokerChannel, Deliver, Ready, close_quietly
from hubbub.timeline.live_broker import encode as encode_any
from hubbub.timeline.live_local import LiveEvent

CHANNEL = "hubbub_live"
MAX_IDS = 500

Connect = Callable[[], Any]  # -> an autocommit psycopg.Connection


def django_connect() -> Any:
    """A new autocommit connection with the default database's settings."""
    from django.db import connections

    wrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        raise ValueError("HUBBUB_LIVE_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
    connection = wrapper.get_new_connection(wrapper.get_connection_params())
    connection.autocommit = True
    return connection


def encode(event: LiveEvent) -> str:
    return encode_any(event, MAX_IDS)


class PostgresChannel(BrokerChannel):
    name = "postgres"
    max_ids = MAX_IDS

    def __init__(self, connect: Connect | None = None, *, channel: str = CHANNEL) -> None:
        if connect is None:
            from django.db import connections

            if connections["default"].vendor != "postgresql":
                raise ValueError("HUBBUB_LIVE_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
        if not channel.replace("_", "").isalnum():
            raise ValueError(f"not a channel name: {channel!r}")
        super().__init__()
        self._connect = connect or django_connect
        self._channel = channel

    def open_sender(self) -> Any:
        return self._connect()

    def send(self, connection: Any, payload: str) -> None:
        connection.execute("SELECT pg_notify(%s, %s)", (self._channel, payload))

    def listen(self, ready: Ready, deliver: Deliver) -> None:
        connection = self._connect()
        try:
            connection.execute(f"LISTEN {self._channel}")
            ready()
            while not self._closed.is_set():
                for notify in connection.notifies(timeout=1.0):
                    deliver(notify.payload)
        finally:
            close_quietly(connection)
