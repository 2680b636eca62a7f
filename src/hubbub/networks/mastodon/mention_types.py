"""Which notification types a Mastodon server is asked for in the mentions feed: mention and
quote (new in Mastodon 4.5), or mention alone for a while on a server that refused the pair."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from hubbub.networks.errors import ConnectorError, RateLimited, Rejected, Transient
from hubbub.networks.mastodon import mapping
from hubbub.networks.mastodon.client import Api

log = logging.getLogger(__name__)
# A server that refused the mentions feed's notification types (mapping.MENTION_TYPES: a server
# speaking Mastodon's API may reject a type it does not know, e.g. `quote`) is asked for
# mentions alone this long, then for every type again (it may have been upgraded meanwhile).
MENTIONS_ONLY_FOR = timedelta(hours=6)


class MentionTypes:
    def __init__(self) -> None:
        # Servers (by base URL) asked for mentions alone, since (time.monotonic()) they refused.
        self._only: dict[str, float] = {}

    def page(self, api: Api, paging: Mapping[str, Any]) -> Any:
        """A page of mention (and quote) notifications. A server that refuses the types asked
        (an answer 4xx other than a login's or a limit's: a server that checks types[] against
        the ones it knows, where `quote` is new in Mastodon 4.5) is asked again for mentions
        alone, and only for those for MENTIONS_ONLY_FOR. A refusal of mentions alone too is
        the feed's error, and nothing is remembered."""
        server = api.base_url.lower()
        since = self._only.get(server)
        if since is not None and time.monotonic() - since < MENTIONS_ONLY_FOR.total_seconds():
            return api.call("notifications", types=["mention"], **paging)
        try:
            page = api.call("notifications", types=list(mapping.MENTION_TYPES), **paging)
        except Rejected as refused:
            try:
                page = api.call("notifications", types=["mention"], **paging)
            except (RateLimited, Transient):
                raise  # the server's state now (its reset time, its outage), not the refusal
            except ConnectorError:
                raise refused from None
            log.info("%s refused the notification types %s: asking for mentions alone",
                     api.base_url, ", ".join(mapping.MENTION_TYPES))
            self._only[server] = time.monotonic()
            return page
        self._only.pop(server, None)
        return page
