"""networks/meta/errors.py's Voice: the rate-limit and plain-refusal sentences each Meta
network words with its own name and scopes."""

from __future__ import annotations

from datetime import UTC, datetime

from hubbub.networks.errors import RateLimited, Rejected
from hubbub.networks.meta.errors import GraphError
from hubbub.networks.threads.failures import VOICE


def test_a_voice_words_a_rate_limit_and_a_plain_refusal_with_its_own_scopes() -> None:
    now = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    limited = VOICE.rate_limited(
        GraphError(400, 4, None, "too many", "", {"retry-after": "120"}), now)
    assert isinstance(limited, RateLimited)
    assert limited.message == ("Threads is limiting calls for the hub's Threads app until 10:02 "
                               "UTC (error 4): too many")
    other = VOICE.rate_limited(GraphError(429, None, None, "", "", {}), now)
    assert other.message.startswith("Threads is limiting calls for this Threads account until")
    refused = VOICE.refused(GraphError(400, 100, None, "", "", {}))
    assert isinstance(refused, Rejected)
    assert refused.message == "Threads refused it (HTTP 400)"
