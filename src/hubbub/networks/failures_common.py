"""Failure sentences every HTTP connector words the same way, with the network's name in them.

A request that got no answer (refused, DNS, timeouts, the SSRF guard) and a 2xx answer whose
body cannot be read mean the same thing on every network; what an error *answer* means does
not (each network's failures module reads its own error bodies).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hubbub.core.http import classify_transport_error, parse_retry_after
from hubbub.networks.errors import ConnectorError, OutcomeUnknown, Rejected, Transient


def transport_failure(exc: BaseException, network: str, *, write: bool = False) -> ConnectorError:
    """The connector error for a request to `network` that got no HTTP answer. A write whose
    request may have gone out is OutcomeUnknown; one that surely did not is Transient."""
    if isinstance(exc, ConnectorError):
        return exc
    transport = classify_transport_error(exc)
    if transport is None:
        if write:
            return OutcomeUnknown(f"Unexpected failure talking to {network}: {exc!r}")
        return Transient(f"Unexpected failure talking to {network}: {exc!r}")
    if transport.kind == "blocked":
        return Rejected(f"{network} cannot be reached from this hub: {transport.reason}")
    if transport.maybe_sent and write:
        return OutcomeUnknown(f"{network} did not answer ({transport.reason}); the post may "
                              "have been made or not")
    return Transient(f"Could not reach {network}: {transport.reason}")


def server_trouble(network: str, status: int, said: str, headers: Mapping[str, str], *,
                   now: datetime, write: bool) -> ConnectorError:
    """A 5xx (or a network's own "try again" code) answered to a request. A write may have
    been done before the network failed, unless it said 503 (not taken in); a read is retried,
    when the answer names a Retry-After not before it. `said` is the network's own words."""
    if write and status != 503:
        return OutcomeUnknown(f"{network} had a problem (HTTP {status}) after receiving the "
                              f"post; it may have been posted{said}")
    return Transient(f"{network} had a problem (HTTP {status}){said}",
                     retry_at=parse_retry_after(headers.get("retry-after"), now=now))


def unreadable_answer(network: str, *, write: bool) -> ConnectorError:
    """A 2xx answer from `network` whose body is not the JSON it documents."""
    if write:
        return OutcomeUnknown(f"{network} accepted the request but its answer was unreadable; "
                              "the post may have been made")
    return Transient(f"{network} sent an unreadable answer")
