"""The LinkedIn connector against the LinkedIn stand-in (tests/peers/linkedin): connecting as a
member with the pages they administer, posting with little text, pictures and link previews,
reading back, reading posts and comments, replying, deleting. The stand-in fails a test whose
requests broke one of LinkedIn's documented rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import Rejected
from tests.integration.linkedin_support import CALLBACK, LinkedInWorld, make_li_world
from tests.peers.linkedin.peer import LinkedInPeer, callback_params
from tests.photos import big_photo_file, picture_facts

TRICKY = "Launch (finally) #shipping: 50% off <today> *only* a_b ~ [x] {y} | \\ @ann"


@pytest.fixture
def li_world(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> LinkedInWorld:
    return make_li_world(li_peer, monkeypatch)


def _png(tmp_path: Path, name: str, color: str) -> MediaFile:
    path = tmp_path / name
    Image.new("RGB", (16, 12), color).save(path, "PNG")
    return MediaFile(str(path), "image/png", alt_text=f"a {color} square",
                     size=path.stat().st_size, width=16, height=12)


# --- connect -----------------------------------------------------------------------------------


def test_connect_as_member_offers_the_pages_they_administer(li_world: LinkedInWorld) -> None:
    peer = li_world.peer
    member = peer.create_member("Ann Example", email="ann@example.com")
    acme = peer.create_organization("Acme", [member])
    peer.create_organization("Not mine", [])
    peer.settings(signed_in=member.sub)
    start = li_world.connector.begin_auth("", CALLBACK)
    assert start.redirect_url.startswith(peer.authorize_url)
    params = callback_params(peer.authorize(start.redirect_url, member))
    connected = li_world.connector.complete_auth(params, start.state_data)
    assert connected.identity.remote_id == member.urn
    assert connected.identity.display_name == "Ann Example"
    assert connected.credentials["author"] == member.urn
    ends = li_world.connector.credentials_expire_at(connected.credentials)
    assert ends is not None
    assert abs(ends - (datetime.now(UTC) + timedelta(days=60))) < timedelta(minutes=5)
    assert [a.identity.remote_id for a in connected.other_accounts] == [acme.urn]
    page = connected.other_accounts[0]
    assert page.identity.handle == "Acme"
    assert page.credentials["author"] == acme.urn
    assert page.credentials["access_token"] == connected.credentials["access_token"]


def test_a_declined_consent_connects_nothing(li_world: LinkedInWorld) -> None:
    member = li_world.peer.create_member()
    start = li_world.connector.begin_auth("", CALLBACK)
    params = callback_params(li_world.peer.authorize(start.redirect_url, member,
                                                     approve=False))
    with pytest.raises(Rejected, match="declined"):
        li_world.connector.complete_auth(params, start.state_data)


def test_a_state_mismatch_is_refused(li_world: LinkedInWorld) -> None:
    member = li_world.peer.create_member()
    start = li_world.connector.begin_auth("", CALLBACK)
    params = callback_params(li_world.peer.authorize(start.redirect_url, member))
    with pytest.raises(Rejected, match="state mismatch"):
        li_world.connector.complete_auth({**params, "state": "forged"}, start.state_data)


# --- publish -----------------------------------------------------------------------------------


def test_reserved_characters_never_cut_the_post(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    published = li_world.connector.publish(account, Draft(text=TRICKY), "k1", ())
    [post] = li_world.peer.posts(account.remote_id)
    assert post["urn"] == published.remote_id
    assert not post["cut"]
    assert post["text"] == TRICKY
    assert "shipping" in post["hashtags"]
    assert published.url.endswith(f"/feed/update/{published.remote_id}/")


def test_pictures_with_alt_text(li_world: LinkedInWorld, tmp_path: Path) -> None:
    account = li_world.member_account()
    media = (_png(tmp_path, "a.png", "red"), _png(tmp_path, "b.png", "blue"))
    ids = tuple(li_world.connector.upload_media(account, m) for m in media)
    assert all(i.startswith("urn:li:image:") for i in ids)
    draft = Draft(text="two pictures", media=media)
    li_world.connector.publish(account, draft, "k2", ids)
    [post] = li_world.peer.posts(account.remote_id)
    images = post["content"]["multiImage"]["images"]
    assert [i["id"] for i in images] == list(ids)
    assert [i["altText"] for i in images] == ["a red square", "a blue square"]
    one = Draft(text="one picture", media=media[:1])
    first = li_world.connector.upload_media(account, media[0])
    li_world.connector.publish(account, one, "k3", (first,))
    newest = li_world.peer.posts(account.remote_id)[0]
    assert newest["content"]["media"] == {"id": first, "altText": "a red square"}


def test_pictures_over_linkedins_bytes_or_pixels_are_fitted(li_world: LinkedInWorld,
                                                            tmp_path: Path) -> None:
    account = li_world.member_account()
    photo = big_photo_file(tmp_path / "harbour.jpg")  # 20 MB: over 10 MB
    wide = tmp_path / "wide.png"  # 38.5 megapixels: over 36,152,320
    Image.new("RGB", (7000, 5500), "navy").save(wide, "PNG")
    poster = MediaFile(str(wide), "image/png", "A navy field", wide.stat().st_size, 7000, 5500)
    draft = Draft(text="two big pictures", media=(photo, poster))
    assert li_world.connector.validate(draft, li_world.connector.default_capabilities()).ok
    ids = tuple(li_world.connector.upload_media(account, m) for m in draft.media)
    li_world.connector.publish(account, draft, "k-big", ids)
    stored = {i["id"]: i for i in li_world.peer.images()}
    got = [picture_facts(requests.get(li_world.peer.base_url + stored[i]["downloadUrl"],
                                      timeout=30).content) for i in ids]
    assert got[0][0] == "JPEG"
    assert got[0][3] <= 10 * 1024 * 1024 < photo.size
    assert got[1][0] == "PNG"  # a PNG LinkedIn takes stays one, with fewer pixels
    assert got[1][1] * got[1][2] <= 36_152_320 < 7000 * 5500
    assert got[1][1] / got[1][2] == pytest.approx(7000 / 5500, rel=0.01)
    [post] = li_world.peer.posts(account.remote_id)
    assert [i["altText"] for i in post["content"]["multiImage"]["images"]] == [
        "A harbour at dusk", "A navy field"]


def test_a_link_becomes_an_article(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    draft = Draft(text="read https://example.com/news (today)")
    prepared = li_world.connector.prepare(account, draft, "k4")
    li_world.connector.publish(account, draft, "k4", (), prepared)
    [post] = li_world.peer.posts(account.remote_id)
    assert post["content"]["article"]["source"] == "https://example.com/news"
    assert post["text"] == draft.text


def test_find_published_reads_the_posts_back(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    since = datetime.now(UTC)
    published = li_world.connector.publish(account, Draft(text=TRICKY), "k5", ())
    found = li_world.connector.find_published(account, Draft(text=TRICKY), "k5", since)
    assert found is not None
    assert found.remote_id == published.remote_id
    assert li_world.connector.find_published(account, Draft(text="never sent"), "k6",
                                             since) is None


def test_posting_as_a_page(li_world: LinkedInWorld) -> None:
    account, org = li_world.page_account()
    published = li_world.connector.publish(account, Draft(text="from the page #news"), "k7",
                                           ())
    [post] = li_world.peer.posts(org.urn)
    assert post["urn"] == published.remote_id
    assert post["author"] == org.urn
    assert li_world.connector.whoami(account).handle == "Acme"


def test_delete_and_again(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    published = li_world.connector.publish(account, Draft(text="short-lived"), "k8", ())
    li_world.connector.delete(account, published.remote_id)
    li_world.connector.delete(account, published.remote_id)
    [post] = li_world.peer.posts(account.remote_id)
    assert post["deleted"]


# --- read and reply ----------------------------------------------------------------------------


def test_own_posts_and_their_comments(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    li_world.peer.post_as(account.remote_id, "older \\(one\\)", age_seconds=600)
    published = li_world.connector.publish(account, Draft(text="newer #one"), "k9", ())
    fan = li_world.peer.create_member("Fan")
    li_world.peer.comment_as(fan, published.remote_id, "Great (really)!")
    page = li_world.connector.fetch(account, "own")
    assert [i.text for i in page.items] == ["newer #one", "older (one)"]
    comments = li_world.connector.fetch(account, "notifications")
    [comment] = comments.items
    assert comment.text == "Great (really)!"
    assert comment.extra["in_reply_to"] == published.remote_id
    reply = li_world.connector.reply(account, comment.remote_id, Draft(text="Thanks (all)"),
                                     "k10")
    stored = [c for c in li_world.peer.comments(published.remote_id)
              if c.get("actor") == account.remote_id]
    assert len(stored) == 1
    assert stored[0]["message"]["text"] == "Thanks (all)"
    assert reply.remote_id.startswith("urn:li:comment:")


def test_no_home_feed(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    with pytest.raises(NotImplementedError, match="no home feed"):
        li_world.connector.fetch(account, "home")
