"""What each Instagram API error answer means for the hub (networks/instagram/failures.py),
built from the answers Meta's "Error Codes" and "Handling Errors" pages show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
from hubbub.networks.instagram import failures
from hubbub.networks.meta.errors import GraphError

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def answer(code: int | None, subcode: int | None = None, *, status: int = 400,
           message: str = "An error", user_message: str = "",
           headers: dict[str, str] | None = None) -> GraphError:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "fbtrace_id": "A1"}
    if code is not None:
        error["code"] = code
    if subcode is not None:
        error["error_subcode"] = subcode
    if user_message:
        error["error_user_msg"] = user_message
    return GraphError.parse(status, json.dumps({"error": error}).encode(), headers or {})


def mapped(error: GraphError, **kwargs: Any) -> Exception:
    return failures.map_error(error, now=NOW, **kwargs)


def test_an_expired_login_is_auth_expired_so_the_hub_tries_a_refresh() -> None:
    exc = mapped(answer(190, 463, status=401))
    assert type(exc) is AuthExpired
    assert "reconnect Instagram" in str(exc)


@pytest.mark.parametrize(("subcode", "words"), [
    (460, "password"), (458, "removed"), (467, "no longer accepts"),
    (None, "no longer accepts"),
])
def test_a_login_instagram_ended_is_revoked_with_what_to_do(subcode: int | None,
                                                            words: str) -> None:
    exc = mapped(answer(190, subcode, status=401))
    assert type(exc) is Revoked
    assert words in str(exc)
    assert "reconnect Instagram on the Connections page" in str(exc)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limits_wait_for_metas_estimate_or_an_hour(code: int) -> None:
    usage = json.dumps({"1784": [{"type": "instagram", "call_count": 100,
                                  "estimated_time_to_regain_access": 7}]})
    exc = mapped(answer(code, headers={"X-Business-Use-Case-Usage": usage}))
    assert isinstance(exc, RateLimited)
    assert exc.retry_at == NOW + timedelta(minutes=7)
    plain = mapped(answer(code))
    assert isinstance(plain, RateLimited)
    assert plain.retry_at == NOW + timedelta(hours=1)


def test_the_daily_publishing_limit_is_rate_limited_for_an_hour() -> None:
    exc = mapped(answer(9, 2207042, message="You reached maximum number of posts"))
    assert isinstance(exc, RateLimited)
    assert exc.retry_at == NOW + failures.QUOTA_WAIT
    assert "24 hours" in str(exc)


def test_a_spam_restriction_is_rejected_not_waited_out() -> None:
    exc = mapped(answer(4, 2207051, message="We restrict certain activity"))
    assert type(exc) is Rejected
    assert "spam" in str(exc)


def test_a_picture_instagram_could_not_fetch_says_where_it_looked() -> None:
    exc = mapped(answer(9004, 2207052, message="Media download has failed.",
                        user_message="The media could not be fetched from this uri"))
    assert type(exc) is Rejected
    assert "HUBBUB_PUBLIC_URL" in str(exc)
    assert "could not fetch the picture" in str(exc)


def test_fetching_too_slowly_is_transient_and_a_too_large_picture_rejected() -> None:
    assert type(mapped(answer(-2, 2207003))) is Transient
    too_big = mapped(answer(36000, 2207004, message="The image size is too large."))
    assert type(too_big) is Rejected
    assert "8 MB" in str(too_big)


def test_instagrams_own_trouble_while_publishing_may_have_made_the_post() -> None:
    assert type(mapped(answer(-1, 2207001), write=True)) is OutcomeUnknown
    assert type(mapped(answer(-1, 2207001))) is Transient
    assert type(mapped(answer(2, status=500), write=True)) is OutcomeUnknown
    assert type(mapped(answer(2, status=503), write=True)) is Transient


def test_a_restricted_account_and_a_missing_permission_are_rejected() -> None:
    restricted = mapped(answer(25, 2207050))
    assert type(restricted) is Rejected
    assert "Instagram app" in str(restricted)
    permission = mapped(answer(10, message="Requires instagram_business_content_publish"),
                        what="publish the post")
    assert type(permission) is Rejected
    assert "instagram_business_content_publish" in str(permission)
    assert "publish the post" in str(permission)


def test_a_missing_object_is_not_found() -> None:
    assert type(mapped(answer(100, 33))) is NotFound


def test_a_timeout_after_sending_a_publish_is_outcome_unknown() -> None:
    exc = failures.map_transport(requests.ReadTimeout("read timed out"), write=True)
    assert type(exc) is OutcomeUnknown
    assert "Instagram" in str(exc)
    assert type(failures.map_transport(requests.ReadTimeout("x"))) is Transient


@pytest.mark.parametrize("subcode", [2207027, 2207020, 2207006])
def test_a_publish_refused_without_publishing_is_transient_even_as_a_write(subcode: int) -> None:
    exc = mapped(answer(9007, subcode, message="Media ID is not available"), write=True)
    assert type(exc) is Transient
