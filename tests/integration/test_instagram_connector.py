"""The Instagram connector against the Instagram stand-in (instagram_peer, which fails a test
on any request that broke a rule Meta documents): Business Login, publishing images, carousels
and comments through containers staged once, the pictures really fetched from the hub's public
address, find_published, reading the account's posts and their comments."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.errors import Rejected
from hubbub.networks.instagram.oauth import SCOPES
from tests.integration.instagram_support import CALLBACK, IGWorld, make_ig_world
from tests.peers.instagram.peer import InstagramPeer, callback_params
from tests.photos import big_photo_file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ig_world(instagram_peer: InstagramPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
             live_server: Any, tmp_path: Path) -> IGWorld:
    return make_ig_world(instagram_peer, monkeypatch, settings, live_server.url,
                         tmp_path / "media")


def _unique(text: str) -> str:
    return f"{text} {secrets.token_hex(4)}"


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def _publish(world: IGWorld, account: Any, draft: Draft) -> tuple[Any, dict[str, Any]]:
    """Upload, stage and publish as the engine does; returns (published, prepared)."""
    ids = tuple(world.connector.upload_media(account, m) for m in draft.media)
    prepared = {"stage": world.connector.stage(account, draft, ids, {})}
    return world.connector.publish(account, draft, "k", ids, prepared), prepared


# --- Business Login ----------------------------------------------------------------------------

def test_login_connects_the_account_with_a_long_lived_token(ig_world: IGWorld) -> None:
    user = ig_world.person()
    ig_world.peer.sign_in(user)
    start = ig_world.connector.begin_auth("", CALLBACK)
    query = parse_qs(urlsplit(start.redirect_url).query)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == [",".join(SCOPES)]
    back = ig_world.peer.authorize(start.redirect_url, user)
    connected = ig_world.connector.complete_auth(callback_params(back), start.state_data)
    assert connected.identity.remote_id == user.id
    assert connected.identity.handle == f"@{user.username}"
    expires = ig_world.connector.credentials_expire_at(connected.credentials)
    assert expires is not None
    assert expires > datetime.now(UTC) + timedelta(days=59)
    [window] = ig_world.peer.windows()
    assert window["state"] == start.state


def test_a_cancelled_login_and_a_state_mismatch_connect_nothing(ig_world: IGWorld) -> None:
    user = ig_world.person()
    ig_world.peer.sign_in(user)
    start = ig_world.connector.begin_auth("", CALLBACK)
    back = ig_world.peer.authorize(start.redirect_url, user, approve=False)
    with pytest.raises(Rejected, match="cancelled"):
        ig_world.connector.complete_auth(callback_params(back), start.state_data)
    start = ig_world.connector.begin_auth("", CALLBACK)
    back = ig_world.peer.authorize(start.redirect_url, user)
    with pytest.raises(Rejected, match="state mismatch"):
        ig_world.connector.complete_auth(callback_params(back),
                                         {**start.state_data, "state": "another"})


def test_a_personal_account_is_refused_saying_why(ig_world: IGWorld) -> None:
    user = ig_world.peer.create_user("personal.one", account_type="PERSONAL")
    with pytest.raises(Rejected, match="professional"):
        ig_world.account(user)


# --- publishing ----------------------------------------------------------------------------------

def test_an_image_post_is_fetched_from_the_hub_and_published_once(ig_world: IGWorld) -> None:
    account = ig_world.account()
    picture = ig_world.picture("red.jpg", (200, 0, 0), alt="A red square")
    draft = Draft(text=_unique("Red #square"), media=(picture,))
    published, prepared = _publish(ig_world, account, draft)
    [post] = [m for m in ig_world.peer.media() if m["id"] == published.remote_id]
    assert post["caption"] == draft.text
    assert published.url.startswith("http")
    [container] = ig_world.peer.containers()
    assert container["id"] == prepared["stage"]["container"]
    print(container)


def test_a_20_mb_photo_is_fitted_to_8_mib_and_instagram_fetches_it(ig_world: IGWorld) -> None:
    account = ig_world.account()
    photo = big_photo_file(ig_world.media_root / "posts" / "harbour.jpg")
    draft = Draft(text=_unique("A big photo"), media=(photo,))
    assert ig_world.connector.validate(draft, ig_world.connector.default_capabilities()).ok
    published, _ = _publish(ig_world, account, draft)  # the stand-in refuses over 8 MiB
    [container] = ig_world.peer.containers()
    assert container["size"] <= 8 * 1024 * 1024 < photo.size
    assert container["width"] / container["height"] == pytest.approx(1.5, rel=0.01)
    assert container["image_url"].endswith(".jpg")
    assert [m["id"] for m in ig_world.peer.media()] == [published.remote_id]


def test_a_carousel_makes_an_item_container_per_picture_png_made_jpeg(ig_world: IGWorld) -> None:
    account = ig_world.account()
    pictures = (ig_world.picture("one.png", (0, 150, 0), fmt="PNG", alt="Green"),
                ig_world.picture("two.jpg", (0, 0, 150), alt="Blue"))
    draft = Draft(text=_unique("Two squares"), media=pictures)
    published, prepared = _publish(ig_world, account, draft)
    containers = ig_world.peer.containers()
    parent = next(c for c in containers if c["id"] == prepared["stage"]["container"])
    assert parent["kind"] == "CAROUSEL"
    assert parent["caption"] == draft.text
    children = [c for c in containers if c["is_carousel_item"]]
    assert [c["id"] for c in children] == parent["children"]
    assert [c["alt_text"] for c in children] == ["Green", "Blue"]
    assert all(c["image_url"].endswith(".jpg") for c in children)
    [post] = [m for m in ig_world.peer.media() if m["id"] == published.remote_id]
    assert post["caption"] == draft.text


def test_a_retry_publishes_the_stored_container_and_never_a_second_post(
        ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = Draft(text=_unique("Once"), media=(ig_world.picture("o.jpg", (9, 9, 9)),))
    first, prepared = _publish(ig_world, account, draft)
    again = ig_world.connector.publish(account, draft, "k", (), prepared)
    assert again.remote_id == first.remote_id
    assert [m["id"] for m in ig_world.peer.media() if not m.get("parent_id")] == \
        [first.remote_id]
    assert len(ig_world.peer.containers()) == 1


def test_an_expired_container_is_replaced_once_then_published(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = Draft(text=_unique("Late"), media=(ig_world.picture("l.jpg", (90, 9, 9)),))
    ids = (ig_world.connector.upload_media(account, draft.media[0]),)
    prepared = {"stage": ig_world.connector.stage(account, draft, ids, {})}
    assert ig_world.peer.expire_containers() == 1
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert len(ig_world.peer.containers()) == 2
    assert [m["id"] for m in ig_world.peer.media()] == [published.remote_id]


def test_find_published_reads_the_container_then_the_posts(ig_world: IGWorld) -> None:
    account = ig_world.account()
    since = _since()
    draft = Draft(text=_unique("Find me"), media=(ig_world.picture("f.jpg", (1, 2, 3)),))
    ids = (ig_world.connector.upload_media(account, draft.media[0]),)
    prepared = {"stage": ig_world.connector.stage(account, draft, ids, {})}
    assert ig_world.connector.find_published(account, draft, "k", since, prepared) is None
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    found = ig_world.connector.find_published(account, draft, "k", since, prepared)
    assert found is not None
    assert found.remote_id == published.remote_id
    other = Draft(text=_unique("never"), media=draft.media)
    assert ig_world.connector.find_published(account, other, "k", since, {}) is None


def test_text_without_a_picture_is_refused_before_anything_is_sent(ig_world: IGWorld) -> None:
    account = ig_world.account()
    with pytest.raises(Rejected, match="need a picture"):
        ig_world.connector.stage(account, Draft(text="words only"), (), {})
    assert ig_world.peer.containers() == []


def test_no_public_address_is_refused_in_words(ig_world: IGWorld, settings: Any) -> None:
    account = ig_world.account()
    settings.PUBLIC_URL = ""
    with pytest.raises(Rejected, match="HUBBUB_PUBLIC_URL"):
        ig_world.connector.upload_media(account, ig_world.picture("n.jpg", (5, 5, 5)))


def test_the_hubs_loopback_address_is_named_on_the_connection(ig_world: IGWorld) -> None:
    account = ig_world.account()
    notes = " ".join(ig_world.connector.account_notes(account))
    assert "names this machine" in notes
    assert "50 posts in 24 hours" in notes


# --- replies, reading, deleting ------------------------------------------------------------------

def test_posts_and_comments_are_read_and_answered(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = Draft(text=_unique("Read me"), media=(ig_world.picture("r.jpg", (7, 70, 7)),))
    published, _ = _publish(ig_world, account, draft)
    [item] = [i for i in ig_world.connector.fetch(account, "own").items
              if i.remote_id == published.remote_id]
    assert item.text == draft.text
    assert item.author_handle == account.handle
    assert item.created_at.tzinfo is not None
    ig_world.peer.comment_as(published.remote_id, "Lovely", username="bea.reader")
    [comment] = [c for c in ig_world.connector.fetch(account, "notifications").items
                 if c.text == "Lovely"]
    assert comment.kind == "reply"
    assert comment.author_handle == "@bea.reader"
    assert comment.extra["in_reply_to"] == published.remote_id
    on_post = ig_world.connector.publish(
        account, Draft(text="Thanks all", in_reply_to=published.remote_id), "r1", ())
    on_comment = ig_world.connector.reply(account, comment.remote_id, Draft(text="Thank you!"),
                                          "r2")
    stored = {c["id"]: c for c in ig_world.peer.comments()}
    assert stored[on_post.remote_id.removeprefix("c_")]["text"] == "Thanks all"
    reply = stored[on_comment.remote_id.removeprefix("c_")]
    assert reply["text"] == "Thank you!"
    assert reply["parent_id"] == comment.remote_id.removeprefix("c_")
    # The reply under the comment comes into the notifications too, answering it.
    [under] = [c for c in ig_world.connector.fetch(account, "notifications").items
               if c.text == "Thank you!"]
    assert under.remote_id == on_comment.remote_id
    assert under.extra["in_reply_to"] == comment.remote_id
    ig_world.connector.delete(account, on_comment.remote_id)
    ig_world.connector.delete(account, on_comment.remote_id)  # already gone: fine
    with pytest.raises(NotImplementedError, match="does not let an app like"):
        ig_world.connector.react(account, published.remote_id, "like")


def test_a_sign_in_without_the_publishing_permission_is_refused(ig_world: IGWorld) -> None:
    user = ig_world.person()
    ig_world.peer.sign_in(user)
    start = ig_world.connector.begin_auth("", CALLBACK)
    fewer = start.redirect_url.replace(
        "%2Cinstagram_business_content_publish", "")
    assert fewer != start.redirect_url
    back = ig_world.peer.authorize(fewer, user)
    with pytest.raises(Rejected, match="instagram_business_content_publish"):
        ig_world.connector.complete_auth(callback_params(back), start.state_data)


@pytest.mark.parametrize("shape", ["data", "flat"])
def test_either_shape_of_the_code_exchange_answer_is_read(ig_world: IGWorld, shape: str) -> None:
    ig_world.peer.settings(code_answer=shape)
    user = ig_world.person()
    ig_world.peer.sign_in(user)
    start = ig_world.connector.begin_auth("", CALLBACK)
    back = ig_world.peer.authorize(start.redirect_url, user)
    connected = ig_world.connector.complete_auth(callback_params(back), start.state_data)
    assert connected.credentials["user_id"] == user.id


def test_carousel_items_still_in_progress_are_waited_for_together(ig_world: IGWorld) -> None:
    ig_world.peer.settings(in_progress_reads=2)
    account = ig_world.account()
    pictures = tuple(ig_world.picture(f"w{n}.jpg", (n * 60, 10, 10)) for n in range(3))
    draft = Draft(text=_unique("Three"), media=pictures)
    published, _ = _publish(ig_world, account, draft)
    assert [m["id"] for m in ig_world.peer.media() if not m.get("parent_id")] == \
        [published.remote_id]
    reads = [r for r in ig_world.peer.requests() if r["method"] == "GET"
             and r["path"].rsplit("/", 1)[-1] in {c["id"] for c in ig_world.peer.containers()
                                                  if c["is_carousel_item"]}]
    assert len(reads) == 3 * 3  # each item read until FINISHED, in rounds
