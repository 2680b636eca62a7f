"""What each Threads API error answer means for the hub (networks/threads/failures.py), from
the error shape Meta documents ("Handling Errors") and the container statuses of the Threads
"Troubleshooting" page."""

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
from hubbub.networks.meta.errors import GraphError
from hubbub.networks.threads import failures

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def error(status: int, code: int | None = None, subcode: int | None = None,
          message: str = "", headers: dict[str, str] | None = None) -> GraphError:
    body: dict[str, Any] = {"message": message, "type": "OAuthException"}
    if code is not None:
        body["code"] = code
    if subcode is not None:
        body["error_subcode"] = subcode
    return GraphError.parse(status, json.dumps({"error": body}).encode(), headers or {})


def test_an_expired_token_is_auth_expired_so_the_hub_renews_it() -> None:
    assert type(failures.map_error(error(400, 190, 463), now=NOW)) is AuthExpired


@pytest.mark.parametrize("subcode", [None, 458, 460, 467])
def test_other_token_errors_ask_the_person_to_reconnect(subcode: int | None) -> None:
    found = failures.map_error(error(400, 190, subcode, "Invalid OAuth access token"), now=NOW)
    assert type(found) is Revoked
    assert "reconnect Threads" in found.message


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limits_wait_for_meta_s_estimate_or_the_hour(code: int) -> None:
    found = failures.map_error(error(400, code, message="Calls over the limit"), now=NOW)
    assert isinstance(found, RateLimited)
    assert found.retry_at == NOW + timedelta(hours=1)
    usage = {"x-business-use-case-usage": json.dumps(
        {"1": [{"call_count": 100, "estimated_time_to_regain_access": 7}]})}
    later = failures.map_error(error(400, code, headers=usage), now=NOW)
    assert isinstance(later, RateLimited)
    assert later.retry_at == NOW + timedelta(minutes=7)


def test_a_missing_permission_is_named() -> None:
    found = failures.map_error(error(403, 10, message="Application does not have permission "
                                     "for this action: threads_content_publish"),
                               what="publish the post", now=NOW)
    assert type(found) is Rejected
    assert "threads_content_publish permission" in found.message
    assert "publish the post" in found.message


def test_server_trouble_after_a_publish_may_have_posted() -> None:
    assert type(failures.map_error(error(500, 2), write=True, now=NOW)) is OutcomeUnknown
    assert type(failures.map_error(error(503, 2), write=True, now=NOW)) is Transient
    assert type(failures.map_error(error(500, 1), now=NOW)) is Transient


def test_a_missing_post_is_not_found() -> None:
    assert type(failures.map_error(error(404, 100), now=NOW)) is NotFound


def test_an_image_threads_could_not_fetch_says_why_the_hub_may_not_be_reachable() -> None:
    found = failures.map_error(error(400, 100, message="Media download has failed. The media "
                                     "URI doesn't meet our requirements."),
                               now=NOW, reachability="HUBBUB_PUBLIC_URL names this machine.")
    assert type(found) is Rejected
    assert "could not fetch the post's image" in found.message
    assert "HUBBUB_PUBLIC_URL names this machine." in found.message
    plain = failures.map_error(error(400, 100, message="Param text is too long"), now=NOW)
    assert type(plain) is Rejected
    assert "fetch" not in plain.message


def test_container_errors_are_said_in_words() -> None:
    fetched = failures.container_error("FAILED_DOWNLOADING_VIDEO", "no public address")
    assert "could not fetch" in fetched.message
    assert "no public address" in fetched.message
    ratio = failures.container_error("INVALID_ASPEC_RATIO")
    assert "aspect ratio" in ratio.message
    assert "nothing was posted" in ratio.message
    odd = failures.container_error("SOMETHING_NEW")
    assert type(odd) is Rejected
    assert "SOMETHING_NEW" in odd.message


def test_a_timeout_on_a_publish_is_unknown_and_on_a_read_transient() -> None:
    timeout = requests.exceptions.ReadTimeout("slow")
    assert type(failures.map_transport(timeout, write=True)) is OutcomeUnknown
    assert type(failures.map_transport(timeout)) is Transient


def test_an_unreadable_answer() -> None:
    assert type(failures.unreadable(write=True)) is OutcomeUnknown
    assert type(failures.unreadable(write=False)) is Transient
