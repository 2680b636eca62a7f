"""networks/bluesky/mapping.py: error answers in Bluesky's documented shapes (fixtures/, with the
messages the reference PDS sends), capabilities, DID documents, URIs and URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

import hubbub.networks.bluesky
from hubbub.core.http import BlockedDestination
from hubbub.networks.bluesky import auth, mapping
from hubbub.networks.bluesky.mapping import XrpcFailure, map_failure, map_transport_error
from hubbub.networks.errors import (
    AuthExpired,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)

FIXTURES = Path(hubbub.networks.bluesky.__file__).parent / "fixtures"
PDS = "https://pds.example"
NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


def failure(name: str) -> XrpcFailure:
    answer = json.loads((FIXTURES / "responses_errors.json").read_text())[name]
    body = answer["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return XrpcFailure.parse(answer["status"], raw, answer["headers"])


def mapped(name: str, **kwargs: Any) -> Any:
    return map_failure(failure(name), base_url=PDS, now=NOW, **kwargs)


# --- errors -----------------------------------------------------------------------------------


def test_expired_access_token_asks_for_a_refresh() -> None:
    error = mapped("expired_token")
    assert isinstance(error, AuthExpired)
    assert "expired" in error.message


@pytest.mark.parametrize("name", ["invalid_token", "auth_required"])
def test_a_session_the_server_does_not_accept_gets_one_refresh(name: str) -> None:
    # The engine refreshes once on AuthExpired; if refreshSession is refused too, the account
    # is revoked (tests/integration/test_bluesky_session.py).
    assert isinstance(mapped(name), AuthExpired)


def test_a_refused_refresh_or_sign_in_is_revoked() -> None:
    assert isinstance(auth._login_refused(failure("wrong_password"), "pds.example"), Revoked)
    assert isinstance(mapped("account_takedown"), Revoked)


def test_takedown_says_so() -> None:
    assert "taken down" in mapped("account_takedown").message


def test_rate_limit_reset_is_epoch_seconds_corrected_by_the_servers_clock() -> None:
    # Reset 1795773900 is 10:05:00 UTC; the server's Date says 10:00:00 while our clock says
    # 10:00:00 too: wait 5 minutes.
    error = mapped("rate_limited_reset")
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(minutes=5)
    # A server clock 1 minute ahead of ours: still "5 minutes from its now".
    skewed = failure("rate_limited_reset")
    headers = {**skewed.headers, "Date": "Fri, 27 Nov 2026 10:01:00 GMT"}
    error = map_failure(XrpcFailure(429, "", "", headers), base_url=PDS, now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(minutes=4)


def test_retry_after_wins_over_the_window_reset() -> None:
    error = mapped("rate_limited_retry_after")
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(seconds=90)


def test_a_429_without_times_waits_a_default() -> None:
    error = map_failure(XrpcFailure(429, "RateLimitExceeded", "", {}), base_url=PDS, now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + mapping.DEFAULT_RATE_LIMIT_WAIT


def test_server_errors_are_transient_with_retry_after() -> None:
    error = mapped("unavailable")
    assert isinstance(error, Transient)
    assert error.retry_at == NOW + timedelta(seconds=30)
    assert isinstance(mapped("duplicate_rkey"), Transient)  # createRecord settles it first


def test_a_gateway_timeout_on_a_write_is_outcome_unknown() -> None:
    assert isinstance(mapped("bad_gateway", unsafe_write=True), OutcomeUnknown)
    assert isinstance(mapped("bad_gateway"), Transient)


def test_invalid_records_are_rejected_with_the_servers_words() -> None:
    error = mapped("too_many_graphemes")
    assert isinstance(error, Rejected)
    assert "grapheme too big (maximum 300, got 301)" in error.message


def test_blob_errors_name_what_to_do() -> None:
    assert isinstance(mapped("blob_not_found"), mapping.BlobMissing)
    too_big = mapped("blob_too_big")
    assert isinstance(too_big, mapping.BlobTooBig)
    assert too_big.maximum == 1_000_000  # an older server's limit, read from its answer
    assert isinstance(mapped("payload_too_large"), Rejected)


def test_not_found() -> None:
    error = map_failure(
        XrpcFailure(400, "RecordNotFound", "Could not locate record", {}), base_url=PDS
    )
    assert isinstance(error, NotFound)


def test_unreadable_error_bodies_still_map_by_status() -> None:
    parsed = XrpcFailure.parse(502, b"<html>bad gateway</html>", {})
    assert (parsed.error, parsed.message) == ("", "")
    assert isinstance(map_failure(parsed, base_url=PDS), Transient)


def _connection_error(inner: BaseException) -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, "/", inner))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "unsafe", "kind"),
    [
        (_connection_error(NewConnectionError(None, "refused")), True, Transient),  # type: ignore[arg-type]
        (_connection_error(NameResolutionError("h", None, OSError())), True, Transient),  # type: ignore[arg-type]
        (requests.ConnectTimeout(), True, Transient),
        (requests.ReadTimeout(), True, OutcomeUnknown),
        (requests.ReadTimeout(), False, Transient),
        (_connection_error(ProtocolError("reset")), True, OutcomeUnknown),
        (BlockedDestination("Refusing to connect to 10.0.0.1"), True, Rejected),
        (RuntimeError("?"), True, OutcomeUnknown),
        (RuntimeError("?"), False, Transient),
    ],
)
def test_transport_failures(exc: BaseException, unsafe: bool, kind: type) -> None:
    assert isinstance(map_transport_error(exc, base_url=PDS, unsafe_write=unsafe), kind)


# --- capabilities -----------------------------------------------------------------------------


def test_capabilities() -> None:
    caps = mapping.default_capabilities()
    assert (caps.text_limit, caps.text_byte_limit, caps.counting) == (300, 3000, "bluesky")
    assert caps.media.max_count == 4
    assert caps.media.image_max_bytes == 2_000_000
    assert caps.idempotency == "record_key"
    assert caps.threads
    assert not caps.native_scheduling
    assert not caps.content_warning
    assert set(caps.feeds) == {"home", "notifications", "mentions", "author", "list", "search",
                               "hashtag", "feed"}
    assert type(caps).from_json(caps.to_json()) == caps


def test_a_server_with_a_smaller_blob_limit_lowers_the_image_limit() -> None:
    described = {"did": "did:web:pds.example", "blobUploadLimit": 1_000_000}
    assert mapping.capabilities_from_server(described).media.image_max_bytes == 1_000_000
    # The reference PDS allows 5 MB uploads; images stay at the lexicon's 2,000,000.
    described = {"did": "did:web:localhost", "blobUploadLimit": 5_242_880}
    assert mapping.capabilities_from_server(described).media.image_max_bytes == 2_000_000
    assert mapping.capabilities_from_server({}).media.image_max_bytes == 2_000_000


# --- identity, URIs, URLs ---------------------------------------------------------------------


def test_pds_from_did_document() -> None:
    doc = {
        "id": "did:plc:abc",
        "service": [
            {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": "https://l"},
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
             "serviceEndpoint": "https://morel.us-east.host.bsky.network/"},
        ],
    }
    assert mapping.pds_from_did_doc(doc) == "https://morel.us-east.host.bsky.network"
    assert mapping.pds_from_did_doc({"service": [{"id": "#atproto_pds"}]}) == ""
    assert mapping.pds_from_did_doc(None) == ""


def test_credentials_keep_the_session_and_the_pds_from_the_did_document() -> None:
    session = {
        "accessJwt": "a", "refreshJwt": "r", "did": "did:plc:abc", "handle": "alice.test",
        "didDoc": {"service": [{"id": "did:plc:abc#atproto_pds",
                                "type": "AtprotoPersonalDataServer",
                                "serviceEndpoint": "https://pds.example"}]},
        "email": "not kept",
    }
    assert mapping.credentials_from_session(session, "https://entryway.example") == {
        "accessJwt": "a", "refreshJwt": "r", "did": "did:plc:abc", "handle": "alice.test",
        "service": "https://pds.example",
    }
    del session["didDoc"]
    stored = mapping.credentials_from_session(session, "https://entryway.example")
    assert stored["service"] == "https://entryway.example"


def test_jwt_claims_are_read_without_verifying() -> None:
    # header.payload.signature of a PDS access token for an app password
    token = ("eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9."
             "eyJzY29wZSI6ImNvbS5hdHByb3RvLmFwcFBhc3MiLCJzdWIiOiJkaWQ6cGxjOmFiYyJ9.sig")
    assert mapping.jwt_claims(token) == {"scope": "com.atproto.appPass", "sub": "did:plc:abc"}
    assert mapping.jwt_claims("garbage") == {}


def test_post_references() -> None:
    uri = "at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a"
    assert str(mapping.parse_post_ref(uri)) == uri
    web = mapping.parse_post_ref("https://bsky.app/profile/alice.test/post/3jzfcijpj2z2a")
    assert web == mapping.AtUri("alice.test", "app.bsky.feed.post", "3jzfcijpj2z2a")
    assert mapping.parse_post_ref("https://bsky.app/profile/alice.test") is None
    assert mapping.parse_post_ref("at://did:plc:abc") is None
    assert mapping.parse_post_ref("12345") is None
    assert str(mapping.parse_post_ref(f"{uri}#reposted-by:did:plc:x")) == uri


def test_urls_name_the_author_by_did_when_stored() -> None:
    uri = "at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a"
    assert mapping.post_url(uri) == "https://bsky.app/profile/did:plc:abc/post/3jzfcijpj2z2a"
    assert mapping.post_url(uri, "alice.test") == (
        "https://bsky.app/profile/alice.test/post/3jzfcijpj2z2a")
    published = mapping.published(uri, {"createdAt": "2026-11-27T10:00:00.000Z"})
    assert published.remote_id == uri
    assert published.created_at == NOW


def test_web_address_is_a_setting(settings: Any) -> None:
    settings.HUBBUB_BLUESKY_WEB_URL = "https://deck.example/"
    assert mapping.profile_url("alice.test") == "https://deck.example/profile/alice.test"
