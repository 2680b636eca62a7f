"""A hub process a test starts is under the same loopback-only guard as the test itself."""

from __future__ import annotations

from pathlib import Path

from tests.integration.hubproc import Hub

PROBE = """
import socket
for attempt in (lambda: socket.getaddrinfo("example.com", 443),
                lambda: socket.create_connection(("192.0.2.1", 443), timeout=1)):
    try:
        attempt()
        print("REACHED")
    except Exception as exc:
        print("REFUSED", type(exc).__name__)
print("LOOPBACK", socket.getaddrinfo("localhost", 80)[0][4][0])
"""


def test_a_hub_process_cannot_reach_past_loopback(tmp_path: Path) -> None:
    out = Hub(tmp_path / "data").run("manage", "shell", "--no-imports", "-c", PROBE).stdout
    assert "REACHED" not in out
    assert out.count("REFUSED") == 2, out
    assert "gaierror" in out
    assert "OutboundNetworkBlocked" in out
    assert "LOOPBACK" in out
