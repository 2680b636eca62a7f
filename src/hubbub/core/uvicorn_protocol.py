"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for each request's head.

uvicorn (0.54) arms no timer until a first response is complete: its keep-alive timeout covers
only the quiet between requests and is cancelled by the first byte of the next one. So a client
that connects and sends nothing, or sends a request head a byte at a time, holds a connection
for as long as it likes (the head-timeout option was proposed in uvicorn issue 157 and never
added). Here the head must be complete within `head_seconds` of the connection being made, or of
the first byte of a later request on it; otherwise the connection is closed (with a 408 when part
of a head had arrived). The body's pace is the ASGI wrapper's business (core/asgi_limits.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_TIMEOUT_TEXT = b"The request's headers took too long to arrive, so the hub stopped waiting."
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: " + str(len(_TIMEOUT_TEXT)).encode() + b"\r\n\r\n"
    + _TIMEOUT_TEXT)


class HeadTimeoutH11Protocol(H11Protocol):
    head_seconds: float = 10.0
    linger_seconds: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_head():
            self._arm_head_timer()  # a later request on a kept-alive connection has begun
        else:
            self._cancel_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        # Answered early: the rest of this request's body is being read and dropped.
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        self._linger_timer = self.loop.call_later(
            self.linger_seconds, self._linger_over, self.cycle)

    def _linger_over(self, cycle: object) -> None:
        self._linger_timer = None
        if (self.cycle is cycle and self.conn.their_state is h11.SEND_BODY
                and not self.transport.is_closing()):
            self.transport.close()

    def _waiting_for_head(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_seconds, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._waiting_for_head():
            return
        if self.conn.trailing_data[0]:
            # Part of a head arrived: say why, as nginx and Apache do. A connection that sent
            # nothing is simply closed, like one idle between requests.
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def protocol_with_head_timeout(seconds: float, linger: float = 30.0
                               ) -> type[HeadTimeoutH11Protocol]:
    """The protocol class for uvicorn.run(http=...), with this head deadline and this bound on
    draining a body after an early answer."""
    return type("HeadTimeoutH11Protocol", (HeadTimeoutH11Protocol,),
                {"head_seconds": seconds, "linger_seconds": linger})
