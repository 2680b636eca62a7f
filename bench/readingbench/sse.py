"""An open deck as the browser holds it: GET /deck/events/ with the person's session cookie,
read as it comes; every `items` event is noted with its arrival time and feed ids."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time


class DeckClient(threading.Thread):
    def __init__(self, port: int, cookie: str) -> None:
        super().__init__(daemon=True)
        self.port, self.cookie = port, cookie
        self.events: list[tuple[float, tuple[int, ...]]] = []
        self.connected = threading.Event()
        self.status = 0
        self.errors = 0
        self._stop = threading.Event()
        self._conn: http.client.HTTPConnection | None = None

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None and conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(2)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._once()
            except (OSError, http.client.HTTPException, ValueError):
                self.errors += 1
            if not self._stop.is_set():
                self._stop.wait(2.0)  # the browser's retry: 2000

    def _once(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self._conn = conn
        try:
            conn.request("GET", "/deck/events/", headers={
                "Cookie": self.cookie, "Accept": "text/event-stream"})
            answer = conn.getresponse()
            self.status = answer.status
            if answer.status != 200:
                answer.read()
                return
            self.connected.set()
            kind = ""
            while not self._stop.is_set():
                line = answer.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if text.startswith("event:"):
                    kind = text[6:].strip()
                elif text.startswith("data:") and kind == "items":
                    feeds = tuple(int(f) for f in json.loads(text[5:]).get("feeds", []))
                    self.events.append((time.time(), feeds))
                elif not text:
                    kind = ""
        finally:
            self.connected.clear()
            conn.close()
