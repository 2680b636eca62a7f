"""The Threads connector against the Threads stand-in (threads_peer, which fails a test on any
request that broke a rule Meta documents): connecting through the Authorization Window,
publishing text, images, carousels and replies through containers staged once, the images
really fetched from the hub's public address, find_published, reading, deleting, tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hubbub.networks.base import Account, AppCredentials, Draft
from hubbub.networks.errors import AuthExpired, Rejected
from hubbub.networks.threads import oauth
from hubbub.networks.threads.oauth import SCOPES
from tests.integration.threads_support import (
    CALLBACK,
    ThreadsWorld,
    make_threads_world,
    since,
    unique,
)
from tests.peers.threads.peer import ThreadsPeer, callback_params
from tests.photos import big_photo_file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(threads_peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
          live_server: Any, tmp_path: Path) -> ThreadsWorld:
    return make_threads_world(threads_peer, monkeypatch, settings, live_server.url,
                              tmp_path / "media")


# --- connecting -----------------------------------------------------------------------------------

def test_the_authorization_window_connects_with_a_long_lived_token(world: ThreadsWorld) -> None:
    user = world.person("ann_connects")
    world.peer.sign_in(user)
    start = world.connector.begin_auth("", CALLBACK)
    query = parse_qs(urlsplit(start.redirect_url).query)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == [",".join(SCOPES)]
    back = world.peer.authorize(start.redirect_url, user)
    connected = world.connector.complete_auth(callback_params(back), start.state_data)
    assert connected.identity.remote_id == user.id
    assert connected.identity.handle == "@ann_connects"
    assert connected.credentials["user_id"] == user.id
    expires = oauth.expires_at(connected.credentials)
    assert expires is not None
    assert world.connector.credentials_expire_at(connected.credentials) == expires
    [window] = world.peer.windows()
    assert set(window["scopes"]) == set(SCOPES)
    account = Account(connected.base_url, connected.credentials, user.id, "@ann_connects")
    published, _ = world.publish(account, Draft(text=unique("first words")))
    assert [p["id"] for p in world.live_posts(user)] == [published.remote_id]


def test_a_cancelled_consent_and_a_state_mismatch_connect_nothing(world: ThreadsWorld) -> None:
    user = world.person()
    world.peer.sign_in(user)
    start = world.connector.begin_auth("", CALLBACK)
    back = world.peer.authorize(start.redirect_url, user, approve=False)
    with pytest.raises(Rejected, match="cancelled"):
        world.connector.complete_auth(callback_params(back), start.state_data)
    start = world.connector.begin_auth("", CALLBACK)
    back = world.peer.authorize(start.redirect_url, user)
    with pytest.raises(Rejected, match="state mismatch"):
        world.connector.complete_auth(callback_params(back), {**start.state_data,
                                                               "state": "another"})


def test_a_sign_in_code_works_once_and_the_refusal_is_said(world: ThreadsWorld) -> None:
    user = world.person()
    world.peer.sign_in(user)
    start = world.connector.begin_auth("", CALLBACK)
    back = callback_params(world.peer.authorize(start.redirect_url, user))
    world.connector.complete_auth(back, start.state_data)
    with pytest.raises(Rejected, match=r"refused the sign-in code.*: .+"):
        world.connector.complete_auth(back, start.state_data)
    # The stand-in records the reused code: on purpose here.
    assert [e["path"] for e in world.peer.protocol_errors(clear=True)] == ["/oauth/access_token"]


def test_the_operator_s_app_is_checked_without_a_person(world: ThreadsWorld) -> None:
    world.connector.check_app(AppCredentials("threads", world.app_id, world.app_secret))
    with pytest.raises(Rejected, match="refused the app"):
        world.connector.check_app(AppCredentials("threads", world.app_id, "not-the-secret"))
    assert [e["rule"] for e in world.peer.protocol_errors(clear=True)] == \
        ["wrong client_secret"]


def test_a_token_connects_from_the_command_line(world: ThreadsWorld) -> None:
    account, user = world.account()
    connected = world.connector.connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    assert connected.identity.remote_id == user.id
    assert connected.credentials["user_id"] == user.id


def test_an_old_token_is_renewed_before_it_ends(world: ThreadsWorld) -> None:
    user = world.person()
    account = world.account_of(user, age_seconds=55 * 86400)
    ending = oauth.stored({"access_token": account.credentials["access_token"],
                           "expires_in": 5 * 86400})
    ending["issued_at"] = "2020-01-01T00:00:00+00:00"
    old = Account(account.base_url, {**account.credentials, **ending}, user.id, account.handle)
    with pytest.raises(AuthExpired, match="renews it"):
        world.connector.fetch(old, "own")
    fresh = world.connector.refresh_credentials(old)
    assert fresh is not None
    assert fresh["access_token"] != account.credentials["access_token"]
    renewed = oauth.expires_at(fresh)
    assert renewed is not None
    assert renewed > oauth.expires_at(ending)  # type: ignore[operator]
    world.connector.fetch(Account(old.base_url, fresh, user.id, old.handle), "own")


# --- publishing -----------------------------------------------------------------------------------

def test_a_text_post_is_one_container_published_once(world: ThreadsWorld) -> None:
    account, user = world.account()
    text = unique("Plain words")
    published, prepared = world.publish(account, Draft(text=text))
    [post] = world.live_posts(user)
    assert (post["id"], post["text"], post["media_type"]) == (published.remote_id, text,
                                                              "TEXT_POST")
    [container] = world.peer.containers(user)
    assert container["id"] == prepared["stage"]["container"]
    assert container["status"] == "PUBLISHED"


def test_an_image_is_fetched_from_the_hub_s_public_address(world: ThreadsWorld,
                                                           live_server: Any) -> None:
    account, user = world.account()
    picture = world.picture("red.png", alt="A red square")
    draft = Draft(text=unique("one picture"), media=(picture,))
    published, _ = world.publish(account, draft)
    [container] = world.peer.containers(user)
    assert container["fetched_from"].startswith(f"{live_server.url}/public/media/")
    assert container["params"]["alt_text"] == "A red square"
    assert container["mime_type"] == "image/png"
    [post] = world.live_posts(user)
    assert (post["id"], post["media_type"], post["alt_text"]) == \
        (published.remote_id, "IMAGE", "A red square")


def test_a_gif_is_sent_as_a_png_and_a_webp_as_a_jpeg(world: ThreadsWorld) -> None:
    account, user = world.account()
    draft = Draft(text=unique("a gif"), media=(world.picture("g.gif", fmt="GIF"),
                                                world.picture("w.webp", fmt="WEBP")))
    world.publish(account, draft)
    containers = [c for c in world.peer.containers(user) if c["mime_type"]]
    assert sorted(c["mime_type"] for c in containers) == ["image/jpeg", "image/png"]


def test_a_20_mb_photo_is_fitted_to_8_mb_and_threads_fetches_it(world: ThreadsWorld) -> None:
    account, user = world.account()
    photo = big_photo_file(world.media_root / "uploads" / "harbour.jpg")
    draft = Draft(text=unique("a big photo"), media=(photo,))
    assert world.connector.validate(draft, world.connector.default_capabilities()).ok
    published, _ = world.publish(account, draft)  # the stand-in refuses a fetch over 8 MB
    [container] = world.peer.containers(user)
    assert container["mime_type"] == "image/jpeg"
    assert container["width"] / container["height"] == pytest.approx(1.5, rel=0.01)
    assert container["width"] < 6000
    [post] = world.live_posts(user)
    assert post["id"] == published.remote_id


def test_several_images_make_one_carousel(world: ThreadsWorld) -> None:
    account, user = world.account()
    media = (world.picture("a.png", alt="first"), world.picture("b.jpg", fmt="JPEG"),
             world.picture("c.png", colour=(0, 0, 200)))
    published, prepared = world.publish(account, Draft(text=unique("three"), media=media))
    containers = world.peer.containers(user)
    assert [c["is_carousel_item"] for c in containers] == [True, True, True, False]
    assert containers[-1]["id"] == prepared["stage"]["container"]
    [post] = world.live_posts(user)
    assert (post["id"], post["media_type"]) == (published.remote_id, "CAROUSEL_ALBUM")
    assert len(post["children"]) == 3


def test_a_reply_answers_the_post(world: ThreadsWorld) -> None:
    account, user = world.account()
    other = world.person()
    theirs = world.peer.post_as(other, "What do you think?")
    published, _ = world.publish(account, Draft(text=unique("I agree"),
                                                in_reply_to=theirs["id"]))
    [mine] = world.live_posts(user)
    assert (mine["id"], mine["reply_to"]) == (published.remote_id, theirs["id"])
    found = world.connector.find_published(account, Draft(text=mine["text"],
                                                          in_reply_to=theirs["id"]), "k",
                                           since())
    assert found is not None
    assert found.remote_id == published.remote_id


def test_find_published_never_publishes_and_matches_by_text(world: ThreadsWorld) -> None:
    account, user = world.account()
    draft = Draft(text=unique("Find me"))
    prepared = world.connector.prepare(account, draft, "k")
    prepared["stage"] = world.connector.stage(account, draft, (), prepared)
    assert world.connector.find_published(account, draft, "k", since(), prepared) is None
    assert world.live_posts(user) == []
    published = world.connector.publish(account, draft, "k", (), prepared)
    found = world.connector.find_published(account, draft, "k", since(), prepared)
    assert found is not None
    assert found.remote_id == published.remote_id
    assert world.connector.find_published(account, Draft(text=unique("never")), "k",
                                          since()) is None


def test_an_expired_container_is_replaced_and_published_once(world: ThreadsWorld) -> None:
    account, user = world.account()
    draft = Draft(text=unique("Late"))
    prepared = world.connector.prepare(account, draft, "k")
    prepared["stage"] = world.connector.stage(account, draft, (), prepared)
    assert world.peer.expire_containers(user) == 1
    published = world.connector.publish(account, draft, "k", (), prepared)
    assert [p["id"] for p in world.live_posts(user)] == [published.remote_id]
    assert [c["status"] for c in world.peer.containers(user)] == ["EXPIRED", "PUBLISHED"]
    found = world.connector.find_published(account, draft, "k", since(), prepared)
    assert found is not None
    assert found.remote_id == published.remote_id


# --- reading and deleting -------------------------------------------------------------------------

def test_own_posts_and_the_replies_to_them_are_read(world: ThreadsWorld) -> None:
    account, _ = world.account()
    other = world.person("bo_replies")
    published, _ = world.publish(account, Draft(text=unique("Mine")))
    world.publish(account, Draft(text=unique("With a picture"),
                                 media=(world.picture("p.png", alt="a dot"),)))
    world.peer.reply_as(other, published.remote_id, "Nice one")
    own = world.connector.fetch(account, "own")
    assert [i.kind for i in own.items] == ["post", "post"]
    assert own.items[0].extra["media"][0]["description"] == "a dot"
    assert own.items[1].remote_id == published.remote_id
    replies = world.connector.fetch(account, "notifications")
    [reply] = replies.items
    assert (reply.kind, reply.author_handle, reply.text) == ("reply", "@bo_replies", "Nice one")
    assert reply.extra["in_reply_to"] == published.remote_id


def test_a_post_is_deleted_and_deleting_again_is_fine(world: ThreadsWorld) -> None:
    account, user = world.account()  # asked for threads_delete too, as the hub does
    published, _ = world.publish(account, Draft(text=unique("Short-lived")))
    world.connector.delete(account, published.remote_id)
    assert world.live_posts(user) == []
    world.connector.delete(account, published.remote_id)
