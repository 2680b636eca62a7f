"""Posting through the whole engine to a real Mastodon server (the mock), as the worker does it:
create_post -> scheduler -> engine.process -> connector -> server, with faults injected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import PostError, create_post
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.peers.proxy import FaultProxy

pytestmark = pytest.mark.django_db
S = DeliveryState


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connect(owner: User, base_url: str, account: SeededAccount) -> Connection:
    connected = get_connector("mastodon").connect_with_token(
        base_url, {"access_token": account.access_token})
    return save_connection(owner, "mastodon", connected)


def _texts_on_server(peer: MastodonPeer, account: SeededAccount) -> list[str]:
    import re

    return [re.sub(r"<[^>]+>", "", s["content"]) for s in peer.statuses(account)]


def _run_due() -> None:
    """One pass of what the worker does: enqueue what is due, run it."""
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())


def test_oauth_connect_flow_end_to_end(mastodon_peer: MastodonPeer, owner: User) -> None:
    account = mastodon_peer.new_account()
    client = Client()
    client.force_login(owner)
    response = client.post("/connections/connect/mastodon/",
                           {"server": mastodon_peer.base_url})
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(f"{mastodon_peer.base_url}/oauth/authorize?")
    assert "code_challenge_method=S256" in authorize
    callback = mastodon_peer.authorize(authorize, account.username)
    parts = urlsplit(callback)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 302
    connection = Connection.objects.get(user=owner)
    assert connection.handle.startswith(f"@{account.username}@")
    assert connection.health == Health.OK
    # The token is stored encrypted: the raw column does not contain it.
    token = connection.credentials["access_token"]
    assert token not in connection.credentials_enc
    # Replaying the callback (state used once) is refused with a clear message.
    response = client.get(f"{parts.path}?{parts.query}", follow=True)
    assert "state mismatch" in response.content.decode()


def test_post_arrives_exactly_once_with_its_link(mastodon_peer: MastodonPeer,
                                                 owner: User) -> None:
    account = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer.base_url, account)
    post = create_post(user=owner, text="Hello from hubbub https://example.org/a/very/long/path",
                       connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT
    assert delivery.remote_url.startswith("http")
    assert _texts_on_server(mastodon_peer, account).count(
        "Hello from hubbub https://example.org/a/very/long/path") == 1
    _run_due()  # nothing more to do
    assert len(mastodon_peer.statuses(account)) == 1


def test_a_refusal_for_two_accounts_says_each_in_a_sentence_of_its_own(
        mastodon_peer: MastodonPeer, owner: User) -> None:
    first = _connect(owner, mastodon_peer.base_url, mastodon_peer.new_account())
    second = _connect(owner, mastodon_peer.base_url, mastodon_peer.new_account())
    with pytest.raises(PostError) as refused:
        create_post(user=owner, text="x" * 538, connections=[first, second])
    said = str(refused.value)
    assert f"{first.handle}: 38 characters over the limit of 500. " in said
    assert said.endswith(f"{second.handle}: 38 characters over the limit of 500.")


def test_too_long_post_is_refused_before_anything_is_saved(mastodon_peer: MastodonPeer,
                                                           owner: User) -> None:
    connection = _connect(owner, mastodon_peer.base_url, mastodon_peer.new_account())
    with pytest.raises(PostError, match="over the limit"):
        create_post(user=owner, text="x" * 501, connections=[connection])
    # A URL counts as 23 whatever its length, so this fits although it is over 500 characters.
    long_url = "https://example.org/" + "p" * 600
    create_post(user=owner, text="y" * 470 + " " + long_url, connections=[connection])
    assert Delivery.objects.count() == 1


def test_503_then_success(mastodon_faults: MastodonPeer, owner: User) -> None:
    account = mastodon_faults.new_account()
    connection = _connect(owner, mastodon_faults.base_url, account)
    mastodon_faults.add_fault({"type": "status", "status": 503}, methods=["POST"],
                              path="/api/v1/statuses", count=1)
    post = create_post(user=owner, text="survives a 503", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED
    assert delivery.attempts == 1
    assert delivery.due_at > timezone.now() - timedelta(seconds=1)
    assert delivery.last_error
    _make_due(delivery)
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert _texts_on_server(mastodon_faults, account) == ["survives a 503"]


def test_429_with_retry_after_waits(mastodon_faults: MastodonPeer, owner: User) -> None:
    account = mastodon_faults.new_account()
    connection = _connect(owner, mastodon_faults.base_url, account)
    mastodon_faults.add_fault({"type": "ratelimit", "headers": {"Retry-After": "120"}},
                              methods=["POST"], path="/api/v1/statuses", count=1)
    before = timezone.now()
    post = create_post(user=owner, text="waits for the rate limit", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED
    assert delivery.due_at >= before + timedelta(seconds=119)
    connection.refresh_from_db()
    assert connection.health == Health.RATE_LIMITED
    assert connection.rate_limited_until is not None
    _run_due()  # nothing goes out while the limit lasts
    assert mastodon_faults.statuses(account) == []
    # Time passes: the limit ends, the post goes.
    Connection.objects.filter(pk=connection.pk).update(rate_limited_until=timezone.now())
    _make_due(delivery)
    scheduler.release_rate_limits()
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert _texts_on_server(mastodon_faults, account) == ["waits for the rate limit"]


def test_timeout_after_the_server_accepted_does_not_duplicate(
    mastodon_peer: MastodonPeer, mastodon_fault_proxy: FaultProxy, owner: User, settings: Any
) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.5
    account = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_fault_proxy.base_url, account)
    mastodon_fault_proxy.arm(b"POST /api/v1/statuses", "hold")
    post = create_post(user=owner, text="the answer got lost", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.UNKNOWN
    assert _texts_on_server(mastodon_peer, account) == ["the answer got lost"]
    _run_due()  # settles by looking, not by sending again
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert delivery.attempts == 1
    assert _texts_on_server(mastodon_peer, account) == ["the answer got lost"]


def test_revoked_token_needs_reconnect_and_the_post_waits(mastodon_peer: MastodonPeer,
                                                          owner: User) -> None:
    account = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer.base_url, account)
    mastodon_peer.revoke(account)
    post = create_post(user=owner, text="waits for a reconnect", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    connection.refresh_from_db()
    assert connection.health == Health.NEEDS_RECONNECT
    assert delivery.state == S.SCHEDULED
    assert "reconnect" in delivery.last_error
    assert scheduler.due_deliveries() == []
    # The person reconnects (a new token for the same account): the waiting post goes out.
    _connect(owner, mastodon_peer.base_url, mastodon_peer.login(account.username))
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert _texts_on_server(mastodon_peer, account) == ["waits for a reconnect"]


def test_image_with_alt_text_goes_with_the_post(mastodon_peer: MastodonPeer, owner: User) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from hubbub.publishing.services import NewMedia

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(buffer, format="PNG")
    # The browser claims a wrong type; the hub reads the real one from the file.
    upload = SimpleUploadedFile("pic.jpg", buffer.getvalue(), content_type="image/jpeg")
    account = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer.base_url, account)
    post = create_post(user=owner, text="with a picture", connections=[connection],
                       media=[NewMedia(upload, "A magenta rectangle")])
    assert post.media.get().mime_type == "image/png"
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT
    [status] = mastodon_peer.statuses(account)
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "A magenta rectangle"
    assert delivery.media_ids == [attachment["id"]]


def test_a_20_mb_photo_is_fitted_to_the_servers_limits(mastodon_peer: MastodonPeer,
                                                       owner: User) -> None:
    import requests
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hubbub.publishing.services import NewMedia
    from tests.photos import big_photo, picture_facts

    account = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer.base_url, account)
    instance = requests.get(f"{mastodon_peer.base_url}/api/v2/instance", timeout=10).json()
    limits = instance["configuration"]["media_attachments"]
    upload = SimpleUploadedFile("harbour.jpg", big_photo(), content_type="image/jpeg")
    assert upload.size > max(20_000_000, limits["image_size_limit"])
    post = create_post(user=owner, text="a big photo", connections=[connection],
                       media=[NewMedia(upload, "A harbour at dusk")])  # not refused
    _run_due()
    assert post.deliveries.get().state == S.SENT
    [status] = mastodon_peer.statuses(account)
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "A harbour at dusk"
    sent = requests.get(attachment["url"], timeout=30).content
    kind, width, height, size = picture_facts(sent)
    assert kind == "JPEG"
    assert size <= limits["image_size_limit"]
    assert width * height <= limits["image_matrix_limit"] < 6000 * 4000
    assert width / height == pytest.approx(1.5, rel=0.01)


def test_missing_alt_text_is_refused(mastodon_peer: MastodonPeer, owner: User) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from hubbub.publishing.services import NewMedia

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    connection = _connect(owner, mastodon_peer.base_url, mastodon_peer.new_account())
    with pytest.raises(PostError, match="alt"):
        create_post(user=owner, text="no alt", connections=[connection],
                    media=[NewMedia(SimpleUploadedFile("a.png", buffer.getvalue()), "")])
    broken = SimpleUploadedFile("b.png", b"not an image at all", content_type="image/png")
    with pytest.raises(PostError, match="not an image"):
        create_post(user=owner, text="broken", connections=[connection],
                    media=[NewMedia(broken, "alt")])


def test_reply_goes_to_the_post_it_answers(mastodon_peer: MastodonPeer, owner: User) -> None:
    author = mastodon_peer.new_account()
    original = mastodon_peer.post_as(author, "What do you all think?")
    account = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer.base_url, account)
    post = create_post(user=owner, text="I think it is fine.", connections=[connection],
                       reply_to={connection.pk: str(original["id"])})
    _run_due()
    assert post.deliveries.get().state == S.SENT
    [reply] = mastodon_peer.statuses(account)
    assert str(reply["in_reply_to_id"]) == str(original["id"])


def test_alt_text_can_be_made_optional_by_the_person(mastodon_peer: MastodonPeer,
                                                     owner: User) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from hubbub.accounts.models import Profile
    from hubbub.publishing.services import NewMedia

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    Profile.objects.update_or_create(user=owner, defaults={"require_alt_text": False})
    connection = _connect(owner, mastodon_peer.base_url, mastodon_peer.new_account())
    post = create_post(user=owner, text="no alt, on purpose", connections=[connection],
                       media=[NewMedia(SimpleUploadedFile("a.png", buffer.getvalue()), "")])
    assert post.media.count() == 1
