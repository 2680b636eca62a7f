"""One Mastodon.py client on one guarded session (core/http: SSRF guard, timeouts, the last
response kept for error mapping), opened for one operation; every failure of a call leaves as a
ConnectorError (failures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import mastodon
import requests

from hubbub.core.http import (
    ResponseLog,
    default_timeout,
    guarded_session,
    record_responses,
    user_agent,
)
from hubbub.networks.mastodon import failures

# Mastodon.py probes the server version before some calls (media uploads) unless told one.
# hubbub targets Mastodon 4.x (PKCE needs 4.3): say so instead of paying a request per upload.
ASSUMED_VERSION = (4, 0, 0)


@dataclass
class Api:
    """One Mastodon.py client on one guarded session, for one operation."""

    base_url: str
    client: Any  # mastodon.Mastodon (untyped)
    log: ResponseLog

    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any:
        """Call a Mastodon.py method; every failure leaves as a ConnectorError."""
        self.log.last = None
        try:
            return getattr(self.client, method)(*args, **kwargs)
        except (mastodon.MastodonError, requests.RequestException, ValueError, OSError) as exc:
            raise failures.map_error(
                exc, self.log.last, base_url=self.base_url, unsafe_write=unsafe_write
            ) from exc


@contextmanager
def open_api(base_url: str, access_token: str | None) -> Iterator[Api]:
    timeout = default_timeout()
    session = guarded_session(timeout)
    log = record_responses(session)
    try:
        client = mastodon.Mastodon(
            api_base_url=base_url,
            access_token=access_token,
            session=session,
            version_check_mode="none",
            ratelimit_method="throw",
            request_timeout=timeout,
            user_agent=user_agent(),
            mastodon_version=".".join(map(str, ASSUMED_VERSION)),
        )
        client.mastodon_major, client.mastodon_minor, client.mastodon_patch = ASSUMED_VERSION
        yield Api(base_url=base_url.rstrip("/"), client=client, log=log)
    finally:
        session.close()
