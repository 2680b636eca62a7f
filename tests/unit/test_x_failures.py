"""What each X error answer means for the hub (networks/x/failures.py), from the example
answers in networks/x/fixtures/responses_errors.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from hubbub.networks.errors import (
    AuthExpired,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.x import failures
from hubbub.networks.x.failures import Failure

FIXTURES = Path(__file__).resolve().parents[2] / "src/hubbub/networks/x/fixtures"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "responses_errors.json").read_text())
NOW = datetime(2026, 12, 6, 9, 38, tzinfo=UTC)


def failure(name: str) -> Failure:
    answer = ANSWERS[name]
    return Failure.parse(answer["status"], json.dumps(answer["body"]).encode(), answer["headers"])


def mapped(name: str, **kwargs: Any) -> Exception:
    return failures.map_failure(failure(name), now=NOW, **kwargs)


def test_401_is_an_expired_login_to_refresh_once() -> None:
    assert isinstance(mapped("unauthorized"), AuthExpired)


def test_duplicate_content_is_recognised() -> None:
    assert failure("duplicate").is_duplicate
    assert not failure("client_forbidden").is_duplicate
    error = mapped("duplicate", write=True)
    assert isinstance(error, Rejected)
    assert "duplicate" in error.message
    assert "Change the text" in error.message


def test_an_access_level_refusal_says_which_read() -> None:
    error = mapped("client_forbidden", what="recent search")
    assert isinstance(error, Rejected)
    assert error.message.startswith("Your X access level does not include recent search")


def test_a_missing_scope_needs_a_reconnect() -> None:
    error = mapped("scope")
    assert isinstance(error, Revoked)
    assert "like.write" in error.message


def test_402_stops_retries_and_says_who_can_fix_it() -> None:
    error = mapped("payment_required", write=True)
    assert isinstance(error, Rejected)
    assert "no API credits left" in error.message
    assert "Developer Console" in error.message


def test_429_waits_until_the_reset_corrected_by_the_servers_clock() -> None:
    error = mapped("rate_limited")
    assert isinstance(error, RateLimited)
    # reset 1796562000 is 2026-12-06T12:20:00Z; the server said it was 09:38, so did we
    assert error.retry_at == datetime.fromtimestamp(1796562000, UTC)
    skewed = Failure.parse(429, b"{}", {**ANSWERS["rate_limited"]["headers"],
                                        "date": "Sun, 06 Dec 2026 09:28:00 GMT"})
    later = failures.map_failure(skewed, now=NOW)
    assert isinstance(later, RateLimited)
    assert later.retry_at == datetime.fromtimestamp(1796562000, UTC) + timedelta(minutes=10)


def test_429_without_headers_waits_a_window() -> None:
    error = failures.map_failure(Failure.parse(429, b"", {}), now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(minutes=15)


def test_a_usage_cap_is_not_a_rate_limit() -> None:
    error = mapped("usage_capped")
    assert isinstance(error, Rejected)
    assert "usage cap" in error.message


def test_503_is_passing_even_for_a_post_and_keeps_retry_after() -> None:
    error = mapped("unavailable", write=True)
    assert isinstance(error, Transient)
    assert error.retry_at == NOW + timedelta(seconds=30)


def test_500_after_a_post_may_have_posted() -> None:
    assert isinstance(mapped("internal", write=True), OutcomeUnknown)
    assert isinstance(mapped("internal"), Transient)


def test_400_and_404() -> None:
    invalid = mapped("invalid", write=True)
    assert isinstance(invalid, Rejected)
    assert "One or more parameters" in invalid.message
    assert isinstance(mapped("not_found"), NotFound)


def test_exhausted_until_reads_remaining_zero() -> None:
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1796562000"}
    assert failures.exhausted_until(headers, now=NOW) == datetime.fromtimestamp(1796562000, UTC)
    assert failures.exhausted_until({**headers, "x-rate-limit-remaining": "3"}, now=NOW) is None
    assert failures.exhausted_until({}, now=NOW) is None


@pytest.mark.parametrize(("exc", "write", "kind"), [
    (requests.exceptions.ReadTimeout("slow"), True, OutcomeUnknown),
    (requests.exceptions.ReadTimeout("slow"), False, Transient),
    (requests.exceptions.ConnectTimeout("no"), True, Transient),
])
def test_transport_failures(exc: Exception, write: bool, kind: type[Exception]) -> None:
    assert isinstance(failures.map_transport(exc, write=write), kind)


def test_garbage_bodies_do_not_break_parsing() -> None:
    for content in (b"", b"not json", b"[1, 2]", b'{"errors": "x"}', b"\xff\xfe"):
        parsed = Failure.parse(500, content, {})
        assert parsed.status == 500
        assert parsed.said() == ""
