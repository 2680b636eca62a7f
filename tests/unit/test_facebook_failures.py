"""What each Graph API error answer means for the hub (networks/facebook/failures.py and
usage.py), from the example answers in networks/facebook/fixtures/responses_errors.json."""

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
from hubbub.networks.facebook import failures
from hubbub.networks.facebook.failures import GraphError
from hubbub.networks.meta import usage

FIXTURES = Path(__file__).resolve().parents[2] / "src/hubbub/networks/facebook/fixtures"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "responses_errors.json").read_text())
NOW = datetime(2026, 12, 6, 9, 38, tzinfo=UTC)


def error(name: str) -> GraphError:
    answer = ANSWERS[name]
    return GraphError.parse(answer["status"], json.dumps(answer["body"]).encode(),
                            answer["headers"])


def mapped(name: str, **kwargs: Any) -> Exception:
    return failures.map_error(error(name), now=NOW, **kwargs)


def test_an_expired_login_is_auth_expired_saying_to_reconnect() -> None:
    exc = mapped("token_expired")
    assert type(exc) is AuthExpired
    assert "expired" in str(exc)
    assert "reconnect Facebook" in str(exc)


@pytest.mark.parametrize(("name", "words"), [
    ("token_password_changed", "password"),
    ("token_app_removed", "removed"),
    ("token_invalid", "no longer accepts"),
    ("token_no_subcode", "no longer accepts"),
])
def test_a_token_facebook_ended_is_revoked_with_what_to_do(name: str, words: str) -> None:
    exc = mapped(name)
    assert type(exc) is Revoked
    assert words in str(exc)
    assert "reconnect Facebook on the Connections page" in str(exc)


def test_app_limit_waits_the_rolling_hour_without_an_estimate() -> None:
    exc = mapped("app_limit")
    assert isinstance(exc, RateLimited)
    assert exc.retry_at == NOW + timedelta(hours=1)
    assert "the hub's Facebook app" in str(exc)


def test_user_limit_is_rate_limited() -> None:
    exc = mapped("user_limit")
    assert isinstance(exc, RateLimited)
    assert "this Facebook account" in str(exc)


def test_page_limit_waits_as_long_as_meta_estimates() -> None:
    exc = mapped("page_limit")
    assert isinstance(exc, RateLimited)
    assert exc.retry_at == NOW + timedelta(minutes=19)


def test_retry_after_comes_first() -> None:
    exc = mapped("custom_limit")
    assert isinstance(exc, RateLimited)
    assert exc.retry_at == NOW + timedelta(seconds=120)


def test_a_block_is_rejected_and_says_facebook_blocked_it() -> None:
    exc = mapped("blocked", write=True)
    assert type(exc) is Rejected
    assert "blocked" in str(exc)
    assert "368" in str(exc)


def test_a_missing_permission_is_named() -> None:
    exc = mapped("permission_named", what="publish to the Page")
    assert type(exc) is Rejected
    assert "publish to the Page" in str(exc)
    assert "pages_read_engagement permission" in str(exc)
    assert "pages_read_engagement permission" in str(mapped("permission_10"))


def test_a_permission_error_without_a_name_still_says_what_to_do() -> None:
    exc = mapped("permission_plain")
    assert type(exc) is Rejected
    assert "Reconnect the Page" in str(exc)


def test_a_duplicate_is_rejected_unless_found() -> None:
    assert error("duplicate").is_duplicate
    assert type(mapped("duplicate", write=True)) is Rejected


def test_server_trouble_on_a_publish_may_have_posted() -> None:
    assert type(mapped("unknown_error", write=True)) is OutcomeUnknown
    assert type(mapped("unknown_error")) is Transient


def test_a_503_was_not_taken_even_for_a_publish() -> None:
    exc = mapped("service_down", write=True)
    assert isinstance(exc, Transient)
    assert exc.retry_at == NOW + timedelta(seconds=30)


def test_a_missing_object_is_not_found_and_a_bad_parameter_rejected() -> None:
    assert type(mapped("no_such_object")) is NotFound
    assert type(mapped("invalid_parameter")) is Rejected


def test_a_body_that_is_no_error_object_is_still_mapped_by_status() -> None:
    broken = GraphError.parse(502, b"<html>Bad gateway</html>", {})
    assert broken.code is None
    assert broken.message == ""
    assert type(failures.map_error(broken, write=True, now=NOW)) is OutcomeUnknown
    odd = GraphError.parse(400, json.dumps({"error": {"code": "x", "message": 5}}).encode(), {})
    assert type(failures.map_error(odd, now=NOW)) is Rejected


def test_a_read_timeout_on_a_publish_is_outcome_unknown() -> None:
    exc = failures.map_transport(requests.exceptions.ReadTimeout("slow"), write=True)
    assert type(exc) is OutcomeUnknown
    assert type(failures.map_transport(requests.exceptions.ReadTimeout("slow"))) is Transient


# --- usage headers ------------------------------------------------------------------------------

def test_usage_takes_the_highest_share_of_every_header() -> None:
    headers = {"X-App-Usage": json.dumps({"call_count": 28, "total_time": 25,
                                          "total_cputime": 25}),
               "X-Business-Use-Case-Usage": json.dumps({"1": [{"type": "pages",
                                                               "call_count": 40,
                                                               "total_cputime": 91,
                                                               "total_time": 3}]})}
    used = usage.read(headers)
    assert used.percent == 91
    assert used.regain is None
    assert used.near_limit


def test_below_the_threshold_the_hub_carries_on() -> None:
    headers = {"x-app-usage": json.dumps({"call_count": 89, "total_time": 10,
                                          "total_cputime": 10})}
    assert usage.pause_until(headers, now=NOW) is None


def test_at_the_threshold_the_hub_waits_for_the_window_to_drain() -> None:
    headers = {"x-app-usage": json.dumps({"call_count": 100, "total_time": 10,
                                          "total_cputime": 10})}
    # A quarter of the rolling hour's calls must age out to come back to 75%.
    assert usage.pause_until(headers, now=NOW) == NOW + timedelta(minutes=15)


def test_meta_s_estimate_wins_when_it_gives_one() -> None:
    headers = {"X-Business-Use-Case-Usage": json.dumps({"9": [{"type": "pages",
                                                               "call_count": 95,
                                                               "estimated_time_to_regain_access":
                                                                   7}]})}
    assert usage.pause_until(headers, now=NOW) == NOW + timedelta(minutes=7)


@pytest.mark.parametrize("value", ["", "not json", "[]", '{"call_count": "lots"}',
                                   '{"1": "x"}', '{"call_count": -5}', '{"call_count": true}'])
def test_unreadable_usage_headers_are_no_usage(value: str) -> None:
    for name in ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Page-Usage"):
        assert usage.read({name: value}).percent == 0
        assert usage.pause_until({name: value}, now=NOW) is None
