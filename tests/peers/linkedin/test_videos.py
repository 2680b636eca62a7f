"""Videos API: initialize (parts of 4 MB), PUT each part for its ETag, finalize with the ETags
in order, PROCESSING -> AVAILABLE, a video in a post; sizes, owners and bad parts refused."""

from __future__ import annotations

from typing import Any

import requests

from tests.peers.linkedin.conftest import ALL_SCOPES, Client, client_for
from tests.peers.linkedin.peer import LinkedInPeer, encoded

PART = 4 * 1024 * 1024


def mp4(size: int) -> bytes:
    """Bytes that start like an MP4 file (an ftyp box), padded to `size`."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + bytes(size - len(head))


def _initialize(client: Client, size: int, owner: str | None = None,
                **extra: Any) -> requests.Response:
    request = {"owner": owner or client.member.urn, "fileSizeBytes": size,
               "uploadCaptions": False, "uploadThumbnail": False, **extra}
    return client.call("POST", "/rest/videos?action=initializeUpload",
                       json={"initializeUploadRequest": request})


def _finalize(client: Client, urn: str, etags: list[str]) -> requests.Response:
    return client.call("POST", "/rest/videos?action=finalizeUpload", json={
        "finalizeUploadRequest": {"video": urn, "uploadToken": "", "uploadedPartIds": etags}})


def _put_parts(value: dict[str, Any], data: bytes) -> list[str]:
    etags = []
    for part in value["uploadInstructions"]:
        put = requests.put(part["uploadUrl"], data=data[part["firstByte"]:part["lastByte"] + 1],
                           headers={"Content-Type": "application/octet-stream"}, timeout=30)
        assert put.status_code == 200, put.text
        etags.append(put.headers["ETag"])
    return etags


def test_a_video_in_parts_becomes_available_and_goes_into_a_post(client: Client) -> None:
    data = mp4(2 * PART + 1000)
    init = _initialize(client, len(data))
    assert init.status_code == 200, init.text
    value = init.json()["value"]
    assert value["video"].startswith("urn:li:video:")
    assert [(p["firstByte"], p["lastByte"]) for p in value["uploadInstructions"]] == [
        (0, PART - 1), (PART, 2 * PART - 1), (2 * PART, 2 * PART + 999)]
    path = f"/rest/videos/{encoded(value['video'])}"
    assert client.call("GET", path).json()["status"] == "WAITING_UPLOAD"
    etags = _put_parts(value, data)
    assert len(set(etags)) == 3
    early = client.post("too soon", content={"media": {"id": value["video"]}})
    assert early.status_code == 422
    assert _finalize(client, value["video"], list(reversed(etags))).status_code == 400
    client.peer.protocol_errors(clear=True)
    assert _finalize(client, value["video"], etags).status_code == 200
    assert client.call("GET", path).json()["status"] == "PROCESSING"
    assert client.call("GET", path).json()["status"] == "AVAILABLE"
    made = client.post("A clip", content={"media": {"id": value["video"], "title": "clip"}})
    assert made.status_code == 201, made.text
    got = client.get_post(made.headers["x-restli-id"]).json()
    assert got["content"] == {"media": {"id": value["video"], "title": "clip"}}
    stored = client.peer.videos()[0]
    assert (stored["size"], stored["parts"], stored["status"]) == (len(data), 3, "AVAILABLE")


def test_a_part_of_the_wrong_length_and_a_missing_part_are_refused(client: Client) -> None:
    data = mp4(PART + 10)
    value = _initialize(client, len(data)).json()["value"]
    first = value["uploadInstructions"][0]
    short = requests.put(first["uploadUrl"], data=data[:100], timeout=30)
    assert short.status_code == 400
    put = requests.put(first["uploadUrl"], data=data[:PART], timeout=30)
    assert _finalize(client, value["video"], [put.headers["ETag"]]).status_code == 400
    assert len(client.peer.protocol_errors(clear=True)) == 2


def test_bytes_that_are_not_mp4_fail_processing(client: Client) -> None:
    client.peer.settings(processing_polls=0)
    data = b"RIFF" + bytes(100 * 1024)
    value = _initialize(client, len(data)).json()["value"]
    assert _finalize(client, value["video"], _put_parts(value, data)).status_code == 200
    got = client.call("GET", f"/rest/videos/{encoded(value['video'])}").json()
    assert got["status"] == "PROCESSING_FAILED"


def test_sizes_outside_75_kb_to_500_mb_are_refused(client: Client) -> None:
    assert _initialize(client, 75 * 1024 - 1).status_code == 400
    assert _initialize(client, 500 * 1024 * 1024 + 1).status_code == 400
    assert _initialize(client, 75 * 1024).status_code == 200
    assert _initialize(client, "big").status_code == 422  # type: ignore[arg-type]
    assert _initialize(client, 100_000, shape="square").status_code == 422
    assert len(client.peer.protocol_errors(clear=True)) == 2


def test_a_video_of_someone_else_is_forbidden(li_peer: LinkedInPeer) -> None:
    li_peer.settings(processing_polls=0)
    ann = client_for(li_peer, li_peer.create_member("Ann"), ALL_SCOPES)
    bob = client_for(li_peer, li_peer.create_member("Bob"), ALL_SCOPES)
    refused = _initialize(bob, 100_000, owner=ann.member.urn)
    assert refused.status_code == 403
    assert "Accessing this video resource is forbidden" in refused.json()["message"]
    data = mp4(100_000)
    value = _initialize(ann, len(data)).json()["value"]
    _finalize(ann, value["video"], _put_parts(value, data))
    path = f"/rest/videos/{encoded(value['video'])}"
    assert bob.call("GET", path).status_code == 403
    assert ann.call("GET", path).json()["status"] == "AVAILABLE"
    assert bob.post("stolen", content={"media": {"id": value["video"]}}).status_code == 400


def test_a_page_uploads_a_video(li_peer: LinkedInPeer) -> None:
    li_peer.settings(processing_polls=0)
    ann = li_peer.create_member()
    org = li_peer.create_organization("Acme", [ann])
    client = client_for(li_peer, ann, ALL_SCOPES)
    data = mp4(100_000)
    value = _initialize(client, len(data), owner=org.urn).json()["value"]
    _finalize(client, value["video"], _put_parts(value, data))
    client.call("GET", f"/rest/videos/{encoded(value['video'])}")
    made = client.post("Page clip", author=org.urn, content={"media": {"id": value["video"]}})
    assert made.status_code == 201, made.text
