"""The live channel across processes through Redis pub/sub (HUBBUB_LIVE_BACKEND=redis).

For deployments that run Redis anyway or whose database is not PostgreSQL. How the outbox, the
sender and listener threads and the resync after a lost link work is in live_broker.py (Redis
keeps nothing for a subscriber that was away); here: PUBLISH on one connection, SUBSCRIBE on
another, which pings every HEALTH_CHECK_SECONDS so a dead link is noticed. Pub/sub is not per
database, so HUBBUB_REDIS_CHANNEL tells apart several hubs on one Redis.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from hubbub.timeline.live_broker import BrokerChannel, Deliver, Ready, close_quietly

CHANNEL = "hubbub_live"
HEALTH_CHECK_SECONDS = 15

Connect = Callable[[str], Any]  # (role) -> a redis.Redis client


def redis_connect(url: str, tag: str = "") -> Connect:
    """Clients for `url`, named `hubbub-live-<role>-<tag>` (Redis's CLIENT LIST shows them)."""
    import redis

    tag = tag or secrets.token_hex(3)

    def connect(role: str) -> Any:
        return redis.Redis.from_url(
            url, client_name=f"hubbub-live-{role}-{tag}", socket_connect_timeout=5,
            socket_timeout=None if role == "listen" else 5,
            health_check_interval=HEALTH_CHECK_SECONDS,
        )

    return connect


class RedisChannel(BrokerChannel):
    name = "redis"

    def __init__(self, connect: Connect | None = None, *, channel: str | None = None) -> None:
        if connect is None or channel is None:
            from django.conf import settings

            if connect is None:
                connect = redis_connect(str(getattr(settings, "HUBBUB_REDIS_URL", "")
                                            or "redis://127.0.0.1:6379/0"))
            if channel is None:
                channel = str(getattr(settings, "HUBBUB_REDIS_CHANNEL", "") or CHANNEL)
        super().__init__()
        self._connect = connect
        self._channel = channel

    def open_sender(self) -> Any:
        return self._connect("send")

    def send(self, connection: Any, payload: str) -> None:
        connection.publish(self._channel, payload)

    def listen(self, ready: Ready, deliver: Deliver) -> None:
        client = self._connect("listen")
        pubsub = None
        try:
            pubsub = client.pubsub()
            pubsub.subscribe(self._channel)
            while not self._closed.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message.get("type") == "subscribe":
                    ready()
                elif message.get("type") == "message":
                    deliver(message.get("data"))
        finally:
            close_quietly(pubsub)
            close_quietly(client)
