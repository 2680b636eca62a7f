"""networks/mastodon/mapping.py against real-Mastodon response shapes (fixtures/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import mastodon
import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

import hubbub.networks.mastodon
from hubbub.core.http import BlockedDestination
from hubbub.core.sanitize import clean_html
from hubbub.networks.errors import (
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.mastodon import failures, mapping
from hubbub.networks.mastodon.streaming import Endpoint, items_from_event

FIXTURES = Path(hubbub.networks.mastodon.__file__).parent / "fixtures"
BASE = "https://social.example"
NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


# --- capabilities -----------------------------------------------------------------------------


def test_capabilities_from_a_real_instance() -> None:
    caps = mapping.capabilities_from_instance(fixture("instance_v2"))
    assert caps.text_limit == 1000
    assert caps.url_length == 23
    assert caps.counting == "mastodon"
    assert caps.media.max_count == 4
    assert caps.media.image_max_bytes == 16_777_216
    assert caps.media.image_max_pixels == 33_177_600
    assert caps.media.video_max_bytes == 103_809_024
    assert caps.media.alt_text_max == 1400  # this server lowered description_limit
    assert "image/avif" in caps.media.mime_types
    assert caps.content_warning
    assert caps.visibilities == ("public", "unlisted", "private", "direct")
    assert caps.idempotency == "header"
    assert caps.native_scheduling


def test_capabilities_fall_back_to_defaults_for_missing_fields() -> None:
    caps = mapping.capabilities_from_instance({"domain": "x", "configuration": {}})
    assert caps == mapping.default_capabilities()
    defaults = mapping.default_capabilities()
    assert (defaults.text_limit, defaults.url_length, defaults.media.max_count) == (500, 23, 4)
    assert defaults.media.image_max_bytes == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("instance_v2", True),
        ({"error": "Record not found"}, False),
        ([], False),
        ({"configuration": "nope", "domain": "x"}, False),
    ],
)
def test_is_instance_document(document: Any, expected: bool) -> None:
    data = fixture(document) if isinstance(document, str) else document
    assert mapping.is_instance_document(data) is expected


# --- accounts and statuses --------------------------------------------------------------------


def test_identity_of_a_local_account() -> None:
    identity = mapping.identity_from_account(fixture("account_verify_credentials"), BASE)
    assert identity.remote_id == "109348123456789012"
    assert identity.handle == "@alice@social.example"
    assert identity.display_name == "Alice Liddell"
    assert identity.profile_url == "https://social.example/@alice"
    assert identity.avatar_url.endswith("a1b2c3.png")


def test_rich_status_becomes_an_item() -> None:
    item = mapping.item_from_status(fixture("status_rich"), BASE)
    assert item.remote_id == "113555123400000001"
    assert item.kind == "post"
    assert item.author_handle == "@alice@social.example"
    assert item.created_at == datetime(2026, 11, 27, 9, 41, 12, 345000, tzinfo=UTC)
    assert item.text == (
        "Hello @bob & friends, look: https://example.com/a/very/long/path/to/a/page?ref=hubbub "
        "#hubbub\nsecond line <3\n\nSecond paragraph 🎉"
    )
    assert item.url == "https://social.example/@alice/113555123400000001"
    assert item.extra["content_warning"] == "hubbub test"
    assert item.extra["media"][0]["description"] == "A red square on a white table"
    assert "<script" not in item.html
    assert 'href="https://example.social/@bob"' in item.html


def test_remote_html_is_passed_on_for_ingest_to_clean_once() -> None:
    status = dict(fixture("status_rich"))
    content = '<p>hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>'
    status["content"] = content
    item = mapping.item_from_status(status, BASE)
    assert item.html == content  # cleaned at ingest, the one door (tests/timeline)
    assert clean_html(item.html) == "<p>hi</p>"
    assert item.text == "hi"  # a script's body is no text (tests/security/test_mastodon_text)


def test_boost_shows_the_boosted_post() -> None:
    item = mapping.item_from_status(fixture("status_reblog"), BASE)
    assert item.kind == "repost"
    assert item.remote_id == "113555199900000002"  # the timeline entry, for dedupe
    assert item.author_handle == "@bob@example.social"
    assert item.text == "Bonjour à tous !"
    assert item.url == "https://example.social/@bob/113555100000000009"
    assert item.extra["reposted_by"] == "@carol@social.example"
    assert item.extra["original_id"] == "113555100000000009"
    assert item.extra["in_reply_to"] == "113555000000000003"


def test_mention_notification_becomes_a_reply_item() -> None:
    item = mapping.item_from_notification(fixture("notification_mention"), BASE)
    assert item is not None
    assert item.kind == "reply"
    assert item.remote_id == "113555300000000004"
    assert item.extra["notification_id"] == "345678"
    assert item.text == "@alice nice one"
    assert mapping.item_from_notification({"id": "1", "type": "follow"}, BASE) is None


def test_quote_notification_becomes_a_quote_item() -> None:
    """Mastodon 4.5's `quote` notification ("someone has quoted one of your statuses"): its
    status is the post that quotes, carrying the account's own post as quote.quoted_status.
    mastodon-mock 0.6.1 makes quote posts but never this notification, so the fixture is built
    from the documented shape: https://docs.joinmastodon.org/entities/Notification (type
    `quote`, 4.5.0), https://docs.joinmastodon.org/entities/Quote and
    https://docs.joinmastodon.org/client/quotes."""
    notification = fixture("notification_quote")
    item = mapping.item_from_notification(notification, BASE)
    assert item is not None
    assert item.kind == "quote"
    assert item.remote_id == "113555300000000077"  # the quoting post: dedupes with home
    assert item.author_handle == "@bob@example.social"
    assert item.text == "Worth reading, this."
    assert item.extra["notification_id"] == "345699"
    assert item.extra["quote"]["url"] == "https://social.example/@alice/113555123400000001"
    assert item.extra["quote"]["text"] == "A long read on rivers."
    # The notifications feed shows it the same way, and the mentions feed asks for it.
    assert mapping.item_from_any_notification(notification, BASE) == item
    assert "quote" in mapping.MENTION_TYPES
    # A quote the author has since revoked still lands, its quoted post said unavailable.
    revoked = json.loads(json.dumps(notification))
    revoked["status"]["quote"] = {"state": "revoked", "quoted_status": None}
    later = mapping.item_from_notification(revoked, BASE)
    assert later is not None
    assert later.kind == "quote"
    assert later.extra["quote"] == {"uri": "", "unavailable": "revoked"}


def test_a_streamed_quote_notification_reaches_the_mentions_feed() -> None:
    user = Endpoint("/api/v1/streaming/user", {}, frozenset({"mentions"}))
    raw = json.dumps(fixture("notification_quote"))
    [item] = items_from_event("notification", raw, user, BASE)
    assert (item.kind, item.extra["feed"]) == ("quote", "mentions")
    favourite = json.dumps({**fixture("notification_quote"), "type": "favourite"})
    assert items_from_event("notification", favourite, user, BASE) == []


def test_published_from_status() -> None:
    published = mapping.published_from_status(fixture("status_rich"))
    assert published.remote_id == "113555123400000001"
    assert published.url == "https://social.example/@alice/113555123400000001"
    assert published.created_at == datetime(2026, 11, 27, 9, 41, 12, 345000, tzinfo=UTC)


TYPED = (
    "Hello @bob@example.social & friends, look: "
    "https://example.com/a/very/long/path/to/a/page?ref=hubbub #hubbub\n"
    "second line <3\n\nSecond paragraph 🎉"
)


@pytest.mark.parametrize(
    ("text", "warning", "media", "expected"),
    [
        (TYPED, "hubbub test", 1, True),
        (TYPED.replace("\n", "  \n "), "hubbub test", 1, True),  # whitespace differences
        (TYPED, "", 1, False),  # the warning differs
        (TYPED, "hubbub test", 0, False),  # the media differ
        (TYPED + "!", "hubbub test", 1, False),
    ],
)
def test_status_matches_the_draft_as_typed(
    text: str, warning: str, media: int, expected: bool
) -> None:
    assert mapping.status_matches(fixture("status_rich"), text, warning, media) is expected


def test_a_boost_never_matches_a_draft() -> None:
    assert not mapping.status_matches(fixture("status_reblog"), "Bonjour à tous !", "", 0)


# --- errors: HTTP answers ---------------------------------------------------------------------

ERRORS = fixture("responses_errors")


def _answer(name: str) -> requests.Response:
    recorded = ERRORS[name]
    response = requests.Response()
    response.status_code = recorded["status"]
    response.headers.update(recorded["headers"])
    body = recorded["body"]
    response._content = (json.dumps(body) if isinstance(body, dict) else body).encode()
    return response


def _mapped(name: str, *, unsafe_write: bool = False) -> Any:
    response = _answer(name)
    body = ERRORS[name]["body"]
    message = body.get("error", "") if isinstance(body, dict) else ""
    return failures.map_status(
        response.status_code, message, response.headers,
        base_url=BASE, unsafe_write=unsafe_write, now=NOW,
    )


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("token_revoked", Revoked, "access token is invalid"),
        ("token_invalid", Revoked, "Reconnect"),
        ("outside_scopes", Revoked, "authorized scopes"),
        ("forbidden", Rejected, "not allowed"),
        ("not_found", NotFound, "Record not found"),
        ("too_long", Rejected, "character limit of 500 exceeded"),
        ("media_processing", Transient, "processing"),
        ("unavailable", Transient, "HTTP 503"),
        ("bad_gateway", Transient, "HTTP 502"),
    ],
)
def test_map_status(name: str, kind: type[Exception], words: str) -> None:
    error = _mapped(name)
    assert type(error) is kind
    assert words in error.message


def test_recorded_429_gives_the_reset_time() -> None:
    error = _mapped("rate_limited")
    assert isinstance(error, RateLimited)
    # Server Date 10:00:00, reset 10:05:00, our clock 10:00:00: five minutes.
    assert error.retry_at == NOW + timedelta(minutes=5)


def test_429_without_headers_waits_a_default() -> None:
    error = failures.map_status(429, "", {}, base_url=BASE, now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + failures.DEFAULT_RATE_LIMIT_WAIT


def test_503_keeps_retry_after() -> None:
    error = _mapped("unavailable")
    assert isinstance(error, Transient)
    assert error.retry_at == NOW + timedelta(seconds=120)


def test_gateway_errors_on_a_write_are_outcome_unknown() -> None:
    assert isinstance(_mapped("bad_gateway", unsafe_write=True), OutcomeUnknown)
    assert isinstance(failures.map_status(504, "", {}, base_url=BASE, unsafe_write=True),
                      OutcomeUnknown)
    assert isinstance(_mapped("unavailable", unsafe_write=True), Transient)


# --- errors: what Mastodon.py raises ----------------------------------------------------------


def _raised_by_mastodon_py(inner: BaseException) -> BaseException:
    """Mastodon.py re-raises transport errors as MastodonNetworkError inside `except`, so the
    original is the __context__."""
    try:
        try:
            raise inner
        except Exception as exc:
            raise mastodon.MastodonNetworkError(f"Could not complete request: {exc}")  # noqa: B904
    except mastodon.MastodonNetworkError as wrapped:
        return wrapped
    raise AssertionError("unreachable")


def _connection_error(reason: Exception) -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, "/api/v1/statuses", reason))  # type: ignore[arg-type]


def test_read_timeout_on_publish_is_outcome_unknown_and_on_read_transient() -> None:
    exc = _raised_by_mastodon_py(requests.exceptions.ReadTimeout("read timed out"))
    assert isinstance(failures.map_error(exc, None, base_url=BASE, unsafe_write=True),
                      OutcomeUnknown)
    assert isinstance(failures.map_error(exc, None, base_url=BASE), Transient)


def test_connection_dropped_after_sending_is_outcome_unknown() -> None:
    dropped = _connection_error(ProtocolError("Connection aborted.", ConnectionResetError(104)))
    exc = _raised_by_mastodon_py(dropped)
    assert isinstance(failures.map_error(exc, None, base_url=BASE, unsafe_write=True),
                      OutcomeUnknown)


@pytest.mark.parametrize(
    "reason",
    [
        NewConnectionError(None, "Connection refused"),  # type: ignore[arg-type]
        NameResolutionError("social.example", None, OSError("nope")),  # type: ignore[arg-type]
    ],
)
def test_failures_before_sending_are_transient_even_for_writes(reason: Exception) -> None:
    exc = _raised_by_mastodon_py(_connection_error(reason))
    error = failures.map_error(exc, None, base_url=BASE, unsafe_write=True)
    assert type(error) is Transient
    assert "social.example" in error.message


def test_blocked_destination_is_rejected() -> None:
    exc = _raised_by_mastodon_py(BlockedDestination("Refusing to connect to 10.0.0.1"))
    error = failures.map_error(exc, None, base_url=BASE, unsafe_write=True)
    assert isinstance(error, Rejected)
    assert "10.0.0.1" in error.message


def test_unreadable_success_answer() -> None:
    ok = requests.Response()
    ok.status_code = 200
    ok._content = b'{"error": "truncated'
    exc = mastodon.MastodonAPIError(
        "Could not parse response as JSON, response code was 200, bad json content was ...",
        "Exception was: ...",
    )
    assert isinstance(failures.map_error(exc, ok, base_url=BASE, unsafe_write=True), OutcomeUnknown)
    assert isinstance(failures.map_error(exc, ok, base_url=BASE), Transient)


def test_mastodon_py_http_errors_use_their_status() -> None:
    exc = mastodon.MastodonUnauthorizedError(
        "Mastodon API returned error", 401, "Unauthorized", "The access token is invalid"
    )
    assert isinstance(failures.map_error(exc, None, base_url=BASE), Revoked)
    exc422 = mastodon.MastodonAPIError(
        "Mastodon API returned error", 422, "Unprocessable Content",
        "Validation failed: Text can't be blank",
    )
    error = failures.map_error(exc422, None, base_url=BASE, unsafe_write=True)
    assert isinstance(error, Rejected)
    assert "Text can't be blank" in error.message


def test_mastodon_py_rate_limit_error_reads_the_recorded_headers() -> None:
    exc = mastodon.MastodonRatelimitError("Hit rate limit.")
    error = failures.map_error(exc, _answer("rate_limited"), base_url=BASE, now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(minutes=5)


def test_bad_arguments_are_rejected_not_unknown() -> None:
    exc = mastodon.MastodonIllegalArgumentError("Invalid media dict")
    assert isinstance(failures.map_error(exc, None, base_url=BASE, unsafe_write=True), Rejected)
    assert isinstance(
        failures.map_error(ValueError("Invalid visibility value!"), None, base_url=BASE,
                          unsafe_write=True),
        Rejected,
    )
