"""Publishing to a Page and reading it back on the stand-in: text, links, photos (upload, URL,
unpublished + attached_media), duplicates, feed paging and fields, comments, delete."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from PIL import Image

from tests.peers.facebook.conftest import Setup


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 20)).save(out, "PNG")
    return out.getvalue()


def test_text_and_link_posts(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    answer = g.call("POST", f"/{page.id}/feed", setup.page_token, data={"message": "Fresh bread"})
    assert answer.status_code == 200, answer.text
    post_id = answer.json()["id"]
    assert post_id.startswith(page.id + "_")
    link = g.call("POST", f"/{page.id}/feed", setup.page_token,
                  data={"message": "Our menu", "link": "https://example.org/menu"})
    assert link.status_code == 200
    stored = setup.peer.posts(page)
    assert [p["message"] for p in stored] == ["Our menu", "Fresh bread"]
    assert stored[0]["link"] == "https://example.org/menu"
    assert stored[0]["app_id"] == setup.app.app_id


def test_posting_needs_a_page_token(setup: Setup) -> None:
    answer = setup.graph.call("POST", f"/{setup.page.id}/feed", setup.user_token,
                              data={"message": "hi"})
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (400, 200)
    assert "pages_manage_posts" in error["message"]
    assert setup.peer.posts() == []
    assert "a Page access token is required" in setup.peer.protocol_errors(clear=True)[0][
        "rule"]


def test_duplicate_status_message(setup: Setup) -> None:
    g = setup.graph
    first = g.call("POST", f"/{setup.page.id}/feed", setup.page_token, data={"message": "Same"})
    again = g.call("POST", f"/{setup.page.id}/feed", setup.page_token, data={"message": "Same"})
    assert first.status_code == 200
    error = again.json()["error"]
    assert (again.status_code, error["code"], error["message"]) == (
        400, 506, "(#506) Duplicate status message")
    assert len(setup.peer.posts()) == 1


def test_photo_upload_and_url(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    up = g.call("POST", f"/{page.id}/photos", setup.page_token, data={"message": "Rolls"},
                files={"source": ("rolls.png", png(), "image/png")})
    assert up.status_code == 200, up.text
    assert set(up.json()) == {"id", "post_id"}

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = png((64, 48))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/cake.png"
        by_url = g.call("POST", f"/{page.id}/photos", setup.page_token,
                        data={"url": url, "message": "Cake"})
    finally:
        server.shutdown()
        server.server_close()
    assert by_url.status_code == 200, by_url.text
    photos = setup.peer.photos(page)
    assert [(p["caption"], p["width"], p["height"]) for p in photos] == [
        ("Cake", 64, 48), ("Rolls", 40, 30)]
    feed = g.call("GET", f"/{page.id}/feed", setup.page_token,
                  params={"fields": "message,attachments,full_picture"}).json()["data"]
    assert feed[0]["attachments"]["data"][0]["type"] == "photo"
    assert feed[0]["attachments"]["data"][0]["media"]["image"]["width"] == 64
    bad = g.call("POST", f"/{page.id}/photos", setup.page_token,
                 files={"source": ("x.png", b"not an image", "image/png")})
    assert bad.json()["error"]["code"] == 324
    setup.peer.protocol_errors(clear=True)


def test_multi_photo_post(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    ids = []
    for n in range(3):
        answer = g.call("POST", f"/{page.id}/photos", setup.page_token,
                        data={"published": "false"},
                        files={"source": (f"{n}.png", png((10 + n, 10)), "image/png")})
        assert set(answer.json()) == {"id"}
        ids.append(answer.json()["id"])
    assert setup.peer.posts() == []
    data = {"message": "Three loaves"}
    data.update({f"attached_media[{i}]": f'{{"media_fbid":"{pid}"}}'
                 for i, pid in enumerate(ids)})
    post = g.call("POST", f"/{page.id}/feed", setup.page_token, data=data)
    assert post.status_code == 200, post.text
    stored = setup.peer.posts(page)[0]
    assert stored["photo_ids"] == ids
    read = g.call("GET", f"/{post.json()['id']}", setup.page_token,
                  params={"fields": "attachments"}).json()
    album = read["attachments"]["data"][0]
    assert album["type"] == "album"
    assert len(album["subattachments"]["data"]) == 3
    again = g.call("POST", f"/{page.id}/feed", setup.page_token, data={
        "message": "reuse", "attached_media[0]": f'{{"media_fbid":"{ids[0]}"}}'})
    assert again.json()["error"]["code"] == 100
    setup.peer.protocol_errors(clear=True)


def test_feed_fields_and_cursor_paging(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    for n in range(7):
        assert g.call("POST", f"/{page.id}/feed", setup.page_token,
                      data={"message": f"post {n}"}).status_code == 200
    first = g.call("GET", f"/{page.id}/published_posts", setup.page_token, params={
        "fields": "id,message,created_time,permalink_url,from", "limit": "3"}).json()
    assert [p["message"] for p in first["data"]] == ["post 6", "post 5", "post 4"]
    post = first["data"][0]
    assert post["from"] == {"name": page.name, "id": page.id}
    assert post["permalink_url"].startswith(f"https://www.facebook.com/{page.id}/posts/")
    assert post["created_time"].endswith("+0000")
    seen = [p["message"] for p in first["data"]]
    following = first["paging"]["next"]
    while following:
        answer = requests.get(following, timeout=30).json()
        seen += [p["message"] for p in answer["data"]]
        following = answer["paging"].get("next")
    assert seen == [f"post {n}" for n in range(6, -1, -1)]
    after = g.call("GET", f"/{page.id}/feed", setup.page_token, params={
        "limit": "3", "after": first["paging"]["cursors"]["after"]}).json()
    assert [p["message"] for p in after["data"]] == ["post 3", "post 2", "post 1"]
    assert set(after["data"][0]) == {"id", "message", "created_time"}
    wrong = g.call("GET", f"/{page.id}/feed", setup.page_token, params={"fields": "nope"})
    assert wrong.json()["error"]["message"] == (
        "(#100) Tried accessing nonexisting field (nope) on node type (Post)")
    setup.peer.protocol_errors(clear=True)


def test_comments_and_replies(setup: Setup) -> None:
    g, page, peer = setup.graph, setup.page, setup.peer
    post_id = g.call("POST", f"/{page.id}/feed", setup.page_token,
                     data={"message": "Opening hours"}).json()["id"]
    bob = peer.create_user("Bob")
    question = peer.comment_as(bob, post_id, "Open on Sunday?")
    reply = g.call("POST", f"/{question['id']}/comments", setup.page_token,
                   data={"message": "Yes, 8 to 12"})
    assert reply.status_code == 200, reply.text
    top = g.call("GET", f"/{post_id}/comments", setup.page_token).json()["data"]
    assert [(c["from"]["name"], c["message"]) for c in top] == [("Bob", "Open on Sunday?")]
    replies = g.call("GET", f"/{question['id']}/comments", setup.page_token,
                     params={"fields": "message,from,parent"}).json()["data"]
    assert replies[0]["from"] == {"name": page.name, "id": page.id}
    assert replies[0]["parent"] == {"id": question["id"]}
    stream = g.call("GET", f"/{post_id}/comments", setup.page_token,
                    params={"filter": "stream"}).json()["data"]
    assert len(stream) == 2
    assert [c["message"] for c in peer.comments(post_id)] == ["Open on Sunday?",
                                                              "Yes, 8 to 12"]


def test_delete(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    post_id = g.call("POST", f"/{page.id}/feed", setup.page_token,
                     data={"message": "Oops"}).json()["id"]
    assert g.call("DELETE", f"/{post_id}", setup.page_token).json() == {"success": True}
    assert setup.peer.posts()[0]["deleted"] is True
    gone = g.call("DELETE", f"/{post_id}", setup.page_token).json()["error"]
    assert (gone["code"], gone["error_subcode"]) == (100, 33)
    assert g.call("GET", f"/{page.id}/feed", setup.page_token).json()["data"] == []
    again = g.call("POST", f"/{page.id}/feed", setup.page_token, data={"message": "Oops"})
    assert again.status_code == 200  # a deleted post is no duplicate


def test_scheduled_posts_are_unpublished(setup: Setup) -> None:
    g, page = setup.graph, setup.page
    wrong = g.call("POST", f"/{page.id}/feed", setup.page_token,
                   data={"message": "Later", "scheduled_publish_time": "2000000000"})
    assert wrong.json()["error"]["code"] == 100
    assert [e["rule"] for e in setup.peer.protocol_errors(clear=True)] == [
        "scheduled_publish_time without published=false"]
    ok = g.call("POST", f"/{page.id}/feed", setup.page_token, data={
        "message": "Later", "scheduled_publish_time": "2000000000", "published": "false"})
    assert ok.status_code == 200
    assert g.call("GET", f"/{page.id}/published_posts", setup.page_token).json()["data"] == []
    assert len(g.call("GET", f"/{page.id}/feed", setup.page_token).json()["data"]) == 1
