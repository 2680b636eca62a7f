"""Media on the stand-in: one-shot and chunked uploads, processing status, alt text, and
attaching media to a post."""

from __future__ import annotations

import base64
import io

from PIL import Image

from tests.peers.x.conftest import Client
from tests.peers.x.peer import XPeer


def _png(width: int = 12, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_an_image_with_alt_text_attached_to_a_post(x_peer: XPeer, client: Client) -> None:
    uploaded = client.call("POST", "/2/media/upload",
                           files={"media": ("a.png", _png(), "image/png")},
                           data={"media_category": "tweet_image"})
    assert uploaded.status_code == 200, uploaded.text
    media = uploaded.json()["data"]
    assert media["media_key"] == f"3_{media['id']}"
    assert "processing_info" not in media
    described = client.call("POST", "/2/media/metadata", json={
        "id": media["id"], "metadata": {"alt_text": {"text": "a red square"}}})
    assert described.json()["data"]["associated_metadata"] == {
        "alt_text": {"text": "a red square"}}
    post = client.post("with a picture", media={"media_ids": [media["id"]]}).json()["data"]
    read = client.call("GET", f"/2/tweets/{post['id']}", params={
        "expansions": "attachments.media_keys",
        "media.fields": "alt_text,width,height,url"}).json()
    assert read["includes"]["media"][0]["alt_text"] == "a red square"
    assert (read["includes"]["media"][0]["width"], read["includes"]["media"][0]["height"]) == (
        12, 8)
    stored = x_peer.media(client.user)
    assert stored[0]["alt_text"] == "a red square"
    assert x_peer.posts(client.user)[0]["media_keys"] == [media["media_key"]]


def test_a_json_base64_upload_and_a_broken_image(client: Client) -> None:
    ok = client.call("POST", "/2/media/upload", json={
        "media": base64.b64encode(_png()).decode(), "media_category": "tweet_image"})
    assert ok.status_code == 200, ok.text
    broken = client.call("POST", "/2/media/upload", json={
        "media": base64.b64encode(b"not an image").decode(), "media_category": "tweet_image"})
    assert broken.status_code == 400
    assert broken.json()["type"].endswith("/invalid-request")


def test_chunked_video_waits_for_processing(x_peer: XPeer, client: Client) -> None:
    x_peer.settings(processing_polls=3)
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
    init = client.call("POST", "/2/media/upload/initialize", json={
        "media_type": "video/mp4", "total_bytes": len(video), "media_category": "tweet_video"})
    assert init.status_code == 200, init.text
    media_id = init.json()["data"]["id"]
    assert init.json()["data"]["media_key"] == f"7_{media_id}"
    half = len(video) // 2
    for index, chunk in enumerate((video[:half], video[half:])):
        appended = client.call("POST", f"/2/media/upload/{media_id}/append",
                               files={"media": ("chunk", chunk, "application/octet-stream")},
                               data={"segment_index": str(index)})
        assert appended.status_code == 200, appended.text
    done = client.call("POST", f"/2/media/upload/{media_id}/finalize").json()["data"]
    assert done["processing_info"]["state"] == "pending"
    assert done["size"] == len(video)
    early = client.post("too soon", media={"media_ids": [media_id]})
    assert early.status_code == 400
    states: list[str] = []
    while not states or states[-1] not in {"succeeded", "failed"}:
        status = client.call("GET", "/2/media/upload",
                             params={"command": "STATUS", "media_id": media_id})
        states.append(status.json()["data"]["processing_info"]["state"])
    assert states == ["in_progress", "in_progress", "succeeded"]
    assert client.post("now", media={"media_ids": [media_id]}).status_code == 201


def test_the_command_form_is_refused_and_recorded(x_peer: XPeer, client: Client) -> None:
    # The chunked quickstart page still shows command=INIT on /2/media/upload; the document
    # does not have it, and X's sample moved to /2/media/upload/initialize in 2025.
    init = client.call("POST", "/2/media/upload", files={
        "command": (None, "INIT"), "media_type": (None, "video/mp4"),
        "total_bytes": (None, "100"), "media_category": (None, "tweet_video")})
    assert init.status_code == 400
    recorded = x_peer.validation_errors(clear=True)
    assert [(r["direction"], r["operation"]) for r in recorded] == [
        ("request", "/2/media/upload")]
    assert any("command" in e for e in recorded[0]["errors"])
    gif = b"GIF89a" + b"\x00" * 100
    started = client.call("POST", "/2/media/upload/initialize", json={
        "media_type": "image/gif", "total_bytes": len(gif), "media_category": "tweet_gif"})
    assert started.json()["data"]["media_key"].startswith("16_")


def test_size_mismatch_gaps_and_failed_processing(x_peer: XPeer, client: Client) -> None:
    init = client.call("POST", "/2/media/upload/initialize", json={
        "media_type": "video/mp4", "total_bytes": 10, "media_category": "tweet_video"})
    media_id = init.json()["data"]["id"]
    client.call("POST", f"/2/media/upload/{media_id}/append",
                files={"media": ("c", b"12345", "application/octet-stream")},
                data={"segment_index": "1"})
    gap = client.call("POST", f"/2/media/upload/{media_id}/finalize")
    assert gap.status_code == 400
    client.call("POST", f"/2/media/upload/{media_id}/append",
                files={"media": ("c", b"12", "application/octet-stream")},
                data={"segment_index": "0"})
    short = client.call("POST", f"/2/media/upload/{media_id}/finalize")
    assert short.status_code == 400
    assert "mismatch" in short.json()["errors"][0]["message"]
    x_peer.settings(processing_fails=True, processing_polls=1)
    second = client.call("POST", "/2/media/upload/initialize", json={
        "media_type": "video/mp4", "total_bytes": 3, "media_category": "tweet_video"})
    second_id = second.json()["data"]["id"]
    client.call("POST", f"/2/media/upload/{second_id}/append",
                files={"media": ("c", b"abc", "application/octet-stream")},
                data={"segment_index": "0"})
    client.call("POST", f"/2/media/upload/{second_id}/finalize")
    status = client.call("GET", "/2/media/upload", params={"media_id": second_id,
                                                          "command": "STATUS"})
    assert status.json()["data"]["processing_info"]["state"] == "failed"
    assert client.post("x", media={"media_ids": [second_id]}).status_code == 400


def test_someone_elses_media_cannot_be_used(x_peer: XPeer, client: Client) -> None:
    uploaded = client.call("POST", "/2/media/upload",
                           files={"media": ("a.png", _png(), "image/png")},
                           data={"media_category": "tweet_image"}).json()["data"]
    other = x_peer.create_user("mallory")
    app = x_peer.create_app("http://127.0.0.1:8000/cb")
    token = x_peer.token_for(other, app, "tweet.read tweet.write users.read media.write")
    theirs = Client(x_peer, other, token.access_token)
    refused = theirs.post("stolen", media={"media_ids": [uploaded["id"]]})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "Your media IDs are invalid."
