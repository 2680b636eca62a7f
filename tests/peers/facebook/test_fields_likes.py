"""Page fields link and picture, alt_text_custom kept and read back, and /{object-id}/likes."""

from __future__ import annotations

import requests

from tests.peers.facebook.conftest import Setup
from tests.peers.facebook.test_pages import png


def test_page_link_and_picture(setup: Setup) -> None:
    answer = setup.graph.call("GET", f"/{setup.page.id}", setup.page_token,
                              params={"fields": "name,link,picture"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["name"] == "Ann's Bakery"
    assert body["link"] == f"https://www.facebook.com/{setup.page.id}"
    picture = body["picture"]["data"]
    assert picture["is_silhouette"] is True
    assert (picture["width"], picture["height"]) == (50, 50)
    image = requests.get(picture["url"], timeout=30)  # served on loopback, as the CDN would
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content.startswith(b"\x89PNG")
    plain = setup.graph.call("GET", f"/{setup.page.id}", setup.page_token).json()
    assert set(plain) == {"id", "name"}  # picture only when asked for


def test_alt_text_custom_is_kept_and_read_back(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    up = g.call("POST", f"/{page.id}/photos", setup.page_token,
                data={"published": "false", "alt_text_custom": "A loaf on a board"},
                files={"source": ("loaf.png", png(), "image/png")})
    assert up.status_code == 200, up.text
    photo_id = up.json()["id"]
    assert setup.peer.photos(page)[0]["alt_text_custom"] == "A loaf on a board"
    read = g.call("GET", f"/{photo_id}", setup.page_token,
                  params={"fields": "alt_text_custom,alt_text"}).json()
    assert read["alt_text_custom"] == "A loaf on a board"
    assert read["alt_text"] == "A loaf on a board"
    bare = g.call("POST", f"/{page.id}/photos", setup.page_token, data={"published": "false"},
                  files={"source": ("b.png", png((20, 20)), "image/png")}).json()["id"]
    without = g.call("GET", f"/{bare}", setup.page_token,
                     params={"fields": "alt_text_custom,alt_text"}).json()
    assert "alt_text_custom" not in without
    assert without["alt_text"] == "May be an image"  # Facebook's own, generated


def test_likes_are_read_as_documented(setup: Setup) -> None:
    g, peer = setup.graph, setup.peer
    post_id = g.call("POST", f"/{setup.page.id}/feed", setup.page_token,
                     data={"message": "Like me"}).json()["id"]
    bob = peer.create_user("Bob Reader")
    comment = peer.comment_as(bob, post_id, "Lovely")
    assert peer.like_as(bob, post_id) == 1
    assert peer.like_as(setup.ann, comment["id"]) == 1
    assert peer.like_as(bob, comment["id"]) == 2
    on_post = g.call("GET", f"/{post_id}/likes", setup.page_token,
                     params={"summary": "true"}).json()
    assert on_post["data"] == []  # Post likes: aggregated counts only
    assert on_post["summary"] == {"total_count": 1}
    on_comment = g.call("GET", f"/{comment['id']}/likes", setup.page_token,
                        params={"summary": "true", "limit": "1"}).json()
    assert on_comment["data"] == [{"id": setup.ann.id, "name": "Ann Example"}]
    assert on_comment["summary"] == {"total_count": 2}
    nxt = requests.get(on_comment["paging"]["next"], timeout=30).json()
    assert nxt["data"] == [{"id": bob.id, "name": "Bob Reader"}]
    assert "summary" not in g.call("GET", f"/{comment['id']}/likes", setup.page_token).json()
    refused = g.call("GET", f"/{post_id}/likes", setup.user_token)  # needs a Page token
    assert refused.json()["error"]["code"] == 10
    assert peer.protocol_errors(clear=True)


def test_a_page_likes_with_its_page_token_only(setup: Setup) -> None:
    g, peer = setup.graph, setup.peer
    post_id = g.call("POST", f"/{setup.page.id}/feed", setup.page_token,
                     data={"message": "Visitors welcome"}).json()["id"]
    comment = peer.comment_as(peer.create_user("Cat Visitor"), post_id, "Hello")
    as_user = g.call("POST", f"/{comment['id']}/likes", setup.user_token)
    error = as_user.json()["error"]
    assert (as_user.status_code, error["code"]) == (400, 3)
    assert error["message"] == ("(#3) Publishing likes through the API is only available for "
                                "page access tokens")
    assert [e["rule"] for e in peer.protocol_errors(clear=True)] == [
        "POST /{object-id}/likes with a user token"]
    for _ in range(2):  # liking twice is still one like
        done = g.call("POST", f"/{comment['id']}/likes", setup.page_token)
        assert done.json() == {"success": True}
    read = g.call("GET", f"/{comment['id']}/likes", setup.page_token,
                  params={"summary": "1"}).json()
    assert read["data"] == [{"id": setup.page.id, "name": "Ann's Bakery"}]
    assert read["summary"] == {"total_count": 1}
    missing = g.call("POST", "/999999/likes", setup.page_token)
    assert missing.json()["error"]["code"] == 100
