"""The Facebook connector against the Facebook stand-in (fb_peer, which fails a test on any
request that broke a rule Meta documents): Login with the Page picker, publishing text, links
and photos with alt text, find_published, reading the Page and its comments, replies, likes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from hubbub.networks.base import Account, Draft, MediaFile
from hubbub.networks.errors import NotFound, Rejected
from hubbub.networks.facebook.oauth import SCOPES
from tests.integration.facebook_support import CALLBACK, FBWorld, live_posts, make_fb_world
from tests.peers.facebook.peer import FacebookPeer, callback_params
from tests.photos import big_photo_file


@pytest.fixture
def fb_world(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch) -> FBWorld:
    return make_fb_world(fb_peer, monkeypatch)


def _unique(text: str) -> str:
    return f"{text} {secrets.token_hex(4)}"


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def _photo(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = tmp_path / name
    Image.new("RGB", (8, 8), colour).save(path)
    return path


# --- Facebook Login and the Page picker -----------------------------------------------------------

def test_login_connects_each_page_the_person_ticked(fb_world: FBWorld) -> None:
    user, pages = fb_world.person(pages=3)
    fb_world.peer.sign_in(user)
    start = fb_world.connector.begin_auth("", CALLBACK)
    query = parse_qs(urlsplit(start.redirect_url).query)
    assert query["redirect_uri"] == [CALLBACK]
    back = fb_world.peer.authorize(start.redirect_url, user, pages=pages[:2])
    connected = fb_world.connector.complete_auth(callback_params(back), start.state_data)
    every = [connected, *connected.other_accounts]
    assert sorted(c.identity.remote_id for c in every) == sorted(p.id for p in pages[:2])
    assert {c.identity.handle for c in every} == {p.name for p in pages[:2]}
    [dialog] = fb_world.peer.dialogs()
    assert set(dialog["scopes"]) == set(SCOPES)
    # Each Page's own token posts as that Page.
    for page in every:
        account = Account(page.base_url, page.credentials, page.identity.remote_id,
                          page.identity.handle)
        fb_world.connector.publish(account, Draft(text=_unique("hello")), "k", ())
    assert {p["page_id"] for p in fb_world.peer.posts()} == {p.id for p in pages[:2]}


def test_a_cancelled_login_and_a_state_mismatch_connect_nothing(fb_world: FBWorld) -> None:
    user, _ = fb_world.person()
    fb_world.peer.sign_in(user)
    start = fb_world.connector.begin_auth("", CALLBACK)
    back = fb_world.peer.authorize(start.redirect_url, user, approve=False)
    with pytest.raises(Rejected, match="cancelled"):
        fb_world.connector.complete_auth(callback_params(back), start.state_data)
    start = fb_world.connector.begin_auth("", CALLBACK)
    back = fb_world.peer.authorize(start.redirect_url, user)
    with pytest.raises(Rejected, match="state mismatch"):
        fb_world.connector.complete_auth(callback_params(back), {**start.state_data,
                                                                  "state": "another"})


def test_a_person_without_pages_is_told_why(fb_world: FBWorld) -> None:
    user, _ = fb_world.person(pages=0)
    fb_world.peer.sign_in(user)
    start = fb_world.connector.begin_auth("", CALLBACK)
    back = fb_world.peer.authorize(start.redirect_url, user)
    with pytest.raises(Rejected, match="manages no Pages"):
        fb_world.connector.complete_auth(callback_params(back), start.state_data)


def test_a_page_token_connects_from_the_command_line(fb_world: FBWorld) -> None:
    account, _, page = fb_world.account()
    connected = fb_world.connector.connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    assert connected.identity.remote_id == page.id
    assert connected.credentials["page_id"] == page.id


# --- publishing -----------------------------------------------------------------------------------

def test_text_and_link_posts_reach_the_page(fb_world: FBWorld) -> None:
    account, _, page = fb_world.account()
    text = _unique("Plain words")
    first = fb_world.connector.publish(account, Draft(text=text), "k1", ())
    link_text = _unique("Read https://example.com/news")
    second = fb_world.connector.publish(account, Draft(text=link_text), "k2", ())
    stored = {p["id"]: p for p in live_posts(fb_world.peer, page)}
    assert stored[first.remote_id]["message"] == text
    assert stored[second.remote_id]["message"] == link_text
    assert first.url.startswith("http")


def test_photos_are_uploaded_unpublished_then_attached(fb_world: FBWorld, tmp_path: Path) -> None:
    account, _, page = fb_world.account()
    red, blue = _photo(tmp_path, "r.png", (200, 0, 0)), _photo(tmp_path, "b.png", (0, 0, 200))
    media = (MediaFile(str(red), "image/png", "A red square", red.stat().st_size),
             MediaFile(str(blue), "image/png", "A blue square", blue.stat().st_size))
    for count in (1, 2):
        ids = tuple(fb_world.connector.upload_media(account, m) for m in media[:count])
        draft = Draft(text=_unique(f"{count} photos"), media=media[:count])
        published = fb_world.connector.publish(account, draft, f"k{count}", ids)
        [post] = [p for p in live_posts(fb_world.peer, page) if p["id"] == published.remote_id]
        assert post["message"] == draft.text
        photos = {p["id"]: p for p in fb_world.peer.photos(page)}
        assert [photos[i]["post_id"] for i in ids] == [published.remote_id] * count
        assert [(photos[i]["width"], photos[i]["size"]) for i in ids] == \
            [(8, m.size) for m in media[:count]]
    # The stand-in keeps no alt text; what is sent for it is checked in
    # tests/unit/test_facebook_mapping.py (photo_form).


def test_a_20_mb_photo_is_fitted_to_4_mb_and_the_page_takes_it(fb_world: FBWorld,
                                                               tmp_path: Path) -> None:
    account, _, page = fb_world.account()
    photo = big_photo_file(tmp_path / "harbour.jpg")
    draft = Draft(text=_unique("a big photo"), media=(photo,))
    assert fb_world.connector.validate(draft, fb_world.connector.default_capabilities()).ok
    photo_id = fb_world.connector.upload_media(account, photo)  # the stand-in refuses > 4 MB
    published = fb_world.connector.publish(account, draft, "k-big", (photo_id,))
    stored = {p["id"]: p for p in fb_world.peer.photos(page)}[photo_id]
    assert stored["post_id"] == published.remote_id
    assert stored["size"] <= 4 * 1024 * 1024 < photo.size
    assert stored["width"] / stored["height"] == pytest.approx(1.5, rel=0.01)


def test_find_published_matches_message_and_link(fb_world: FBWorld) -> None:
    account, _, _ = fb_world.account()
    since = _since()
    draft = Draft(text=_unique("Find me https://example.com/a"))
    published = fb_world.connector.publish(account, draft, "k", ())
    found = fb_world.connector.find_published(account, draft, "k", since)
    assert found is not None
    assert found.remote_id == published.remote_id
    other_link = Draft(text=draft.text.replace("/a", "/b"))
    assert fb_world.connector.find_published(account, other_link, "k", since) is None
    assert fb_world.connector.find_published(account, Draft(text=_unique("never")), "k",
                                             since) is None


def test_a_duplicate_refusal_counts_as_sent_once_found(fb_world: FBWorld) -> None:
    account, _, page = fb_world.account()
    draft = Draft(text=_unique("Twice"))
    prepared = fb_world.connector.prepare(account, draft, "k")
    first = fb_world.connector.publish(account, draft, "k", (), prepared)
    again = fb_world.connector.publish(account, draft, "k", (), prepared)
    assert again.remote_id == first.remote_id
    assert len(live_posts(fb_world.peer, page)) == 1


# --- reading, replies, likes ----------------------------------------------------------------------

def test_the_page_its_posts_and_their_comments_are_read(fb_world: FBWorld) -> None:
    account, visitor, page = fb_world.account()
    published = fb_world.connector.publish(account, Draft(text=_unique("Read me")), "k", ())
    reader = fb_world.peer.create_user("Bea Reader")
    fb_world.peer.comment_as(reader, published.remote_id, "Nice one")
    for feed in ("home", "own"):
        items = fb_world.connector.fetch(account, feed).items
        [item] = [i for i in items if i.remote_id == published.remote_id]
        assert item.author_handle == page.name
        assert item.created_at.tzinfo is not None
    comments = fb_world.connector.fetch(account, "notifications").items
    [comment] = [c for c in comments if c.text == "Nice one"]
    assert comment.kind == "reply"
    assert comment.extra["in_reply_to"] == published.remote_id
    # Reply to the comment as the Page, and like it.
    reply = fb_world.connector.reply(account, comment.remote_id, Draft(text="Thank you!"), "r")
    [stored] = [c for c in fb_world.peer.comments() if c["id"] == reply.remote_id]
    assert stored["message"] == "Thank you!"
    del visitor


def test_the_page_likes_a_post_and_a_comment_once(fb_world: FBWorld) -> None:
    account, _, page = fb_world.account()
    published = fb_world.connector.publish(account, Draft(text=_unique("Like me")), "k", ())
    reader = fb_world.peer.create_user("Cy Reader")
    comment = fb_world.peer.comment_as(reader, published.remote_id, "Lovely")
    for remote_id in (published.remote_id, str(comment["id"])):
        assert fb_world.connector.react(account, remote_id, "like") == ""
        # Liking again is one like (the edge keeps one per Page), and says nothing wrong.
        fb_world.connector.react(account, remote_id, "like")
        # Another visitor's like makes two: the Page's own like was counted exactly once.
        assert fb_world.peer.like_as(reader, remote_id) == 2
    likes = [r for r in fb_world.peer.requests()
             if r["method"] == "POST" and str(r["path"]).endswith("/likes")]
    assert len(likes) == 4
    assert all(r["status"] == 200 for r in likes)
    del page


def test_reposting_or_saving_as_a_page_is_said_not_attempted(fb_world: FBWorld) -> None:
    account, _, _ = fb_world.account()
    published = fb_world.connector.publish(account, Draft(text=_unique("Share me")), "k", ())
    before = len(fb_world.peer.requests())
    for kind in ("repost", "bookmark"):
        with pytest.raises(NotImplementedError, match=f"does not let an app {kind}"):
            fb_world.connector.react(account, published.remote_id, kind)
    assert len(fb_world.peer.requests()) == before


def test_a_like_on_a_deleted_post_is_refused_plainly(fb_world: FBWorld) -> None:
    account, _, _ = fb_world.account()
    published = fb_world.connector.publish(account, Draft(text=_unique("Gone")), "k", ())
    fb_world.connector.delete(account, published.remote_id)
    with pytest.raises(NotFound):
        fb_world.connector.react(account, published.remote_id, "like")


def test_delete_removes_the_post_and_a_second_delete_is_fine(fb_world: FBWorld) -> None:
    account, _, page = fb_world.account()
    published = fb_world.connector.publish(account, Draft(text=_unique("Bye")), "k", ())
    fb_world.connector.delete(account, published.remote_id)
    assert live_posts(fb_world.peer, page) == []
    fb_world.connector.delete(account, published.remote_id)
