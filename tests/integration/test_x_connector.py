"""The X connector against the X stand-in: connect, publish (replies, quotes, pictures with alt
text, video), find what was posted, read, react, delete. Every request is checked against X's
OpenAPI document by the stand-in (the x_peer fixture fails a test that sent a bad one)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import AuthExpired, Rejected, Revoked
from tests.integration.x_support import CALLBACK, XWorld, account_of, make_x_world
from tests.peers.x.peer import XPeer
from tests.photos import big_photo_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch) -> XWorld:
    return make_x_world(x_peer, monkeypatch)


def _text(what: str = "post") -> str:
    return f"{what} {secrets.token_hex(4)}"


def _png(tmp_path: Path, name: str = "dot.png") -> Path:
    path = tmp_path / name
    Image.new("RGB", (16, 16), (20, 120, 200)).save(path)
    return path


def test_oauth_connects_through_the_consent_page(x_world: XWorld) -> None:
    start = x_world.connector.begin_auth("", CALLBACK)
    assert start.redirect_url.startswith(x_world.peer.authorize_url)
    person = x_world.peer.create_user()
    back = x_world.peer.authorize(start.redirect_url, person)
    params = dict(p.split("=", 1) for p in back.split("?", 1)[1].split("&"))
    connected = x_world.connector.complete_auth(params, start.state_data)
    assert connected.identity.remote_id == person.id
    assert connected.identity.handle == f"@{person.username}"
    assert connected.base_url == x_world.peer.base_url
    stored = connected.credentials
    assert stored["refresh_token"]
    assert stored["grant_id"]
    assert stored["expires_at"]
    seen = x_world.peer.authorizations()[-1]
    assert seen["code_challenge_method"] == "S256"
    assert set(seen["scope"].split()) >= {"tweet.read", "tweet.write", "users.read",
                                          "media.write", "offline.access"}


def test_declined_consent_and_state_mismatch_connect_nothing(x_world: XWorld) -> None:
    start = x_world.connector.begin_auth("", CALLBACK)
    back = x_world.peer.authorize(start.redirect_url, x_world.peer.create_user(), approve=False)
    params = dict(p.split("=", 1) for p in back.split("?", 1)[1].split("&"))
    with pytest.raises(Rejected, match="declined"):
        x_world.connector.complete_auth(params, start.state_data)
    with pytest.raises(Rejected, match="state mismatch"):
        x_world.connector.complete_auth({"state": "forged", "code": "x"}, start.state_data)


def test_no_operator_app_is_a_clear_refusal(x_world: XWorld,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBBUB_X_CLIENT_ID")
    monkeypatch.delenv("HUBBUB_X_CLIENT_SECRET")
    with pytest.raises(Rejected, match="operator has not registered an X app"):
        x_world.connector.begin_auth("", CALLBACK)


def test_publish_reply_and_quote(x_world: XWorld) -> None:
    account = x_world.account()
    first = x_world.connector.publish(account, Draft(text=_text()), "k1", ())
    assert first.url.endswith(f"/status/{first.remote_id}")
    reply = x_world.connector.publish(
        account, Draft(text=_text("reply"), in_reply_to=first.remote_id), "k2", ())
    quote_text = _text("quoting")
    quote = x_world.connector.publish(
        account, Draft(text=f"{quote_text}\n\n{first.url}"), "k3", ())
    stored = {p["id"]: p for p in x_world.peer.posts()}
    assert stored[reply.remote_id]["reply_to"] == first.remote_id
    assert stored[quote.remote_id]["quote_of"] == first.remote_id
    assert stored[quote.remote_id]["text"] == quote_text  # the link became the quote


def test_pictures_with_alt_text(x_world: XWorld, tmp_path: Path) -> None:
    account = x_world.account()
    files = [_png(tmp_path, f"{n}.png") for n in range(2)]
    media = tuple(MediaFile(str(p), "image/png", f"picture {n}", size=p.stat().st_size)
                  for n, p in enumerate(files))
    ids = tuple(x_world.connector.upload_media(account, m) for m in media)
    published = x_world.connector.publish(account, Draft(text=_text("pictures"), media=media),
                                          "k", ids)
    uploads = {m["id"]: m for m in x_world.peer.media()}
    assert [uploads[i].get("alt_text") for i in ids] == ["picture 0", "picture 1"]
    found = x_world.connector.find_published(
        account, Draft(text="never sent", media=media), "k", datetime.now(UTC) - timedelta(1))
    assert found is None
    assert published.remote_id in {p["id"] for p in x_world.peer.posts()}


def test_a_20_mb_photo_is_fitted_to_5_mb_and_x_takes_it(x_world: XWorld,
                                                         tmp_path: Path) -> None:
    account = x_world.account()
    photo = big_photo_file(tmp_path / "harbour.jpg")
    draft = Draft(text=_text("a big photo"), media=(photo,))
    assert x_world.connector.validate(draft, x_world.connector.default_capabilities()).ok
    media_id = x_world.connector.upload_media(account, photo)
    x_world.connector.publish(account, draft, "k", (media_id,))
    [stored] = [m for m in x_world.peer.media() if m["id"] == media_id]
    assert stored["size"] <= 5 * 1024 * 1024 < photo.size  # the stand-in refuses over 5 MB
    assert (stored["media_type"], stored["category"]) == ("image/jpeg", "tweet_image")
    assert stored["width"] / stored["height"] == pytest.approx(1.5, rel=0.01)
    assert stored["alt_text"] == "A harbour at dusk"


def test_find_published_finds_only_the_right_post(x_world: XWorld) -> None:
    account = x_world.account()
    since = datetime.now(UTC) - timedelta(seconds=5)
    draft = Draft(text=_text("find me") + " & <friends>")
    published = x_world.connector.publish(account, draft, "k", ())
    found = x_world.connector.find_published(account, draft, "k", since)
    assert found is not None
    assert found.remote_id == published.remote_id
    assert x_world.connector.find_published(account, Draft(text=_text()), "k", since) is None


def test_a_duplicate_refusal_counts_as_sent_once_found(x_world: XWorld) -> None:
    account = x_world.account()
    draft = Draft(text=_text("twice"))
    prepared = x_world.connector.prepare(account, draft, "k")
    first = x_world.connector.publish(account, draft, "k", (), prepared)
    again = x_world.connector.publish(account, draft, "k", (), prepared)
    assert again.remote_id == first.remote_id
    assert len([p for p in x_world.peer.posts() if p["text"] == draft.text]) == 1


def test_read_home_mentions_own_author_and_react(x_world: XWorld) -> None:
    me_user, tokens = x_world.person()
    me = account_of(x_world.peer, me_user, tokens)
    friend = x_world.peer.create_user()
    x_world.peer.follow(me_user, friend)
    said = x_world.peer.post_as(friend, f"hello @{me_user.username}")
    home = x_world.connector.fetch(me, "home")
    assert said["id"] in [i.remote_id for i in home.items]
    item = next(i for i in home.items if i.remote_id == said["id"])
    assert item.author_handle == f"@{friend.username}"
    mentions = x_world.connector.fetch(me, "mentions")
    assert [i.kind for i in mentions.items if i.remote_id == said["id"]] == ["mention"]
    theirs = x_world.connector.fetch(me, f"author:@{friend.username}")
    assert said["id"] in [i.remote_id for i in theirs.items]
    mine = x_world.connector.publish(me, Draft(text=_text("mine")), "k", ())
    assert [i.remote_id for i in x_world.connector.fetch(me, "own").items] == [mine.remote_id]
    assert x_world.connector.react(me, said["id"], "like") == ""
    assert x_world.connector.react(me, said["id"], "repost") == ""
    with pytest.raises(NotImplementedError):
        x_world.connector.react(me, said["id"], "bookmark")


def test_delete_twice_is_fine(x_world: XWorld) -> None:
    account = x_world.account()
    published = x_world.connector.publish(account, Draft(text=_text()), "k", ())
    x_world.connector.delete(account, published.remote_id)
    x_world.connector.delete(account, published.remote_id)
    [post] = [p for p in x_world.peer.posts() if p["id"] == published.remote_id]
    assert post.get("deleted") is True


def test_disconnect_revokes_the_login(x_world: XWorld) -> None:
    account = x_world.account()
    x_world.connector.disconnect(account)
    with pytest.raises(AuthExpired):  # the access token no longer works
        x_world.connector.whoami(account)
    with pytest.raises(Revoked):  # nor does the refresh token
        x_world.connector.refresh_credentials(account)
