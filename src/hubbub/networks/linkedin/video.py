"""Video to LinkedIn through the Videos API (learn.microsoft.com/linkedin/marketing/
community-management/shares/videos-api):

1. POST /rest/videos?action=initializeUpload `{"initializeUploadRequest": {"owner",
   "fileSizeBytes", "uploadCaptions": false, "uploadThumbnail": false}}` answers the video's
   URN, an `uploadToken` and `uploadInstructions`: one upload URL per part with its
   `firstByte` and `lastByte`;
2. PUT each part's bytes (read from the file one part at a time) to its URL, keeping the
   `ETag` of each answer;
3. POST /rest/videos?action=finalizeUpload `{"finalizeUploadRequest": {"video",
   "uploadToken", "uploadedPartIds": [ETags in order]}}`;
4. GET /rest/videos/{urn} until `status` is AVAILABLE (PROCESSING_FAILED is final).

Exactly once: nothing is posted until the engine has stored the video's URN (the result of
upload_media). An upload whose answer is lost is made again, as a new video, and the post
still goes out once; a video still processing after the bounded wait is returned anyway and
checked again, without waiting, before the post (media.ensure_available).
"""

from __future__ import annotations

from typing import Any

from hubbub.networks.base import MediaFile
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.linkedin import media
from hubbub.networks.linkedin.api import LinkedInApi, encode_query, urn_path

# LinkedIn processes video for longer than pictures: wait up to this long in the upload, then
# leave it to the check before the post (a retry later).
WAIT_SECONDS = 60.0
PREFIX = "urn:li:video:"


def is_video(urn: str) -> bool:
    return urn.startswith(PREFIX)


def upload(api: LinkedInApi, owner: str, item: MediaFile, *,
           wait_seconds: float | None = None) -> str:
    size = _size(item)
    started = api.post("/rest/videos", {"initializeUploadRequest": {
        "owner": owner, "fileSizeBytes": size, "uploadCaptions": False,
        "uploadThumbnail": False}}, query=encode_query({"action": "initializeUpload"}),
        scope=media.scope_for(owner))
    value = started.get("value")
    value = value if isinstance(value, dict) else {}
    urn, token = value.get("video"), value.get("uploadToken", "")
    parts = _parts(value.get("uploadInstructions"), size)
    if not isinstance(urn, str) or not urn.startswith(PREFIX) or not isinstance(token, str):
        raise Transient("LinkedIn's answer to a video upload names no video or upload token")
    etags = [_put_part(api, item.path, url, first, last) for url, first, last in parts]
    api.post("/rest/videos", {"finalizeUploadRequest": {
        "video": urn, "uploadToken": token, "uploadedPartIds": etags}},
        query=encode_query({"action": "finalizeUpload"}), scope=media.scope_for(owner))
    media.wait_available(api, urn, WAIT_SECONDS if wait_seconds is None else wait_seconds,
                         status_of=status)
    return urn


def _size(item: MediaFile) -> int:
    try:
        with open(item.path, "rb") as handle:
            return handle.seek(0, 2)
    except OSError:
        raise Rejected("The video file is missing from the hub's media folder: attach it "
                       "again") from None


def _parts(instructions: Any, size: int) -> list[tuple[str, int, int]]:
    """(url, firstByte, lastByte) of each part, checked to cover the file once, in order."""
    parts: list[tuple[str, int, int]] = []
    expected = 0
    for entry in instructions if isinstance(instructions, list) else []:
        url = entry.get("uploadUrl") if isinstance(entry, dict) else None
        first = entry.get("firstByte") if isinstance(entry, dict) else None
        last = entry.get("lastByte") if isinstance(entry, dict) else None
        if (not isinstance(url, str) or not isinstance(first, int)
                or not isinstance(last, int) or first != expected or last < first):
            break
        parts.append((url, first, last))
        expected = last + 1
    if not parts or expected != size:
        raise Transient("LinkedIn's upload instructions for the video do not cover the file")
    return parts


def _put_part(api: LinkedInApi, path: str, url: str, first: int, last: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(first)
        data = handle.read(last - first + 1)
    response = api.send("PUT", "", url=url, data=data, rest=False,
                        headers={"Content-Type": "application/octet-stream"})
    api.result(response)
    etag = response.headers.get("ETag", "").strip()
    if not etag:
        raise Transient("LinkedIn did not confirm a part of the video (no ETag)")
    return etag


def status(api: LinkedInApi, urn: str) -> str:
    body = api.get(f"/rest/videos/{urn_path(urn)}")
    state = str(body.get("status") or "")
    if state == "PROCESSING_FAILED":
        raise Rejected("LinkedIn could not process the video; try another file (MP4, 3 "
                       "seconds to 30 minutes).")
    return state


def ensure_available(api: LinkedInApi, urn: str) -> None:
    if not media.wait_available(api, urn, 0.0, status_of=status):
        raise Transient("LinkedIn is still processing the video; the post goes out when it "
                        "is ready")
