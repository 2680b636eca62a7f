"""Only loopback: the guard every test process and every hub process a test starts runs under.
Connecting past 127.0.0.0/8 / ::1 raises, and only loopback names and literal addresses resolve,
so no DNS query leaves the machine either."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any


class OutboundNetworkBlocked(RuntimeError):
    """A test tried to reach past loopback."""


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _guard_address(family: int, address: Any) -> None:
    if family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback(host):
        raise OutboundNetworkBlocked(f"tests must not reach past loopback (tried {address!r})")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _connect(self: socket.socket, address: Any) -> None:
    _guard_address(self.family, address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _guard_address(self.family, address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    # Only loopback names and literal addresses resolve: no DNS query leaves a test. Other
    # names fail like an unknown host, so code under test sees a real resolution failure.
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or _is_loopback(name) or _is_ip(name):
        return _real_getaddrinfo(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"name resolution disabled in tests ({name})")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo
