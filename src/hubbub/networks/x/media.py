"""Pictures and videos to X (https://docs.x.com/x-api/media/introduction and the OpenAPI
document's /2/media paths).

- A picture goes in one request (POST /2/media/upload, multipart: the file and
  media_category tweet_image), fitted to 5 MB first when it is larger (networks/image_fit.py).
- A video or an animated GIF goes in chunks: POST /2/media/upload/initialize (type, size,
  category), POST /2/media/upload/{id}/append for each piece (segment_index from 0), POST
  /2/media/upload/{id}/finalize; X then processes it, and GET /2/media/upload?command=STATUS
  says how far it is (pending, in_progress, succeeded, failed) and when to ask again.
- Alt text is set afterwards: POST /2/media/metadata (at most 1000 characters).

Processing is waited for a bounded while (X suggests when to ask again in check_after_secs);
a video still in progress after that is returned anyway (the engine saves its id), and
`ensure_processed` checks it again before the post is sent, so a retry reuses the upload.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hubbub.core.image_fit import FitLimits
from hubbub.networks.base import MediaFile
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.image_fit import fitted
from hubbub.networks.x.api import XApi

CHUNK_BYTES = 4 * 1024 * 1024
PROCESSING_WAIT_SECONDS = 60.0
MAX_CHECK_AFTER = 10.0
ALT_TEXT_MAX = 1000
UNFINISHED = ("pending", "in_progress")


def category(media: MediaFile) -> str:
    if media.is_video:
        return "tweet_video"
    if media.mime_type == "image/gif":
        return "tweet_gif"
    return "tweet_image"


def upload(x: XApi, media: MediaFile, limits: FitLimits) -> str:
    """Upload one file and set its alt text; returns X's media id. A picture goes fitted to
    X's limits (networks/image_fit.py); a moving GIF and a video go as they are."""
    path = Path(media.path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Rejected(f"{path.name} cannot be read: {exc.strerror}") from None
    kind = category(media)
    picture = None if media.is_video else fitted(media, limits, "X")
    if picture is not None and picture.mime_type != "image/gif":
        media_id = _upload_whole(x, f"{path.stem}.{picture.mime_type.removeprefix('image/')}",
                                 picture.data, picture.mime_type)
    else:
        media_id = _upload_chunked(x, path, media.mime_type, size, kind)
        wait_processed(x, media_id, PROCESSING_WAIT_SECONDS)
    alt = media.alt_text.strip()
    if alt:
        x.post("/2/media/metadata", {"id": media_id,
                                     "metadata": {"alt_text": {"text": alt[:ALT_TEXT_MAX]}}})
    return media_id


def _media_id(body: dict[str, Any]) -> str:
    data = body.get("data")
    media_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(media_id, str) or not media_id:
        raise Transient("X's answer to an upload names no media id")
    return media_id


def _upload_whole(x: XApi, name: str, data: bytes, mime_type: str) -> str:
    response = x.send("POST", "/2/media/upload", data={"media_category": "tweet_image"},
                      files={"media": (name, data, mime_type)})
    return _media_id(x.result(response))


def _upload_chunked(x: XApi, path: Path, mime_type: str, size: int, kind: str) -> str:
    started = x.post("/2/media/upload/initialize", {
        "media_type": mime_type, "total_bytes": size, "media_category": kind})
    media_id = _media_id(started)
    with path.open("rb") as stream:
        segment = 0
        while chunk := stream.read(CHUNK_BYTES):
            response = x.send("POST", f"/2/media/upload/{media_id}/append",
                              data={"segment_index": str(segment)},
                              files={"media": ("chunk", chunk, "application/octet-stream")},
                              limit_key="/2/media/upload/append")
            x.result(response)
            segment += 1
    finished = x.post(f"/2/media/upload/{media_id}/finalize",
                      limit_key="/2/media/upload/finalize")
    _raise_if_failed(finished)
    return media_id


def status(x: XApi, media_id: str) -> dict[str, Any]:
    body = x.get("/2/media/upload", {"command": "STATUS", "media_id": media_id})
    _raise_if_failed(body)
    return body


def _processing(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    info = data.get("processing_info") if isinstance(data, dict) else None
    return info if isinstance(info, dict) else {}


def _raise_if_failed(body: dict[str, Any]) -> None:
    info = _processing(body)
    if info.get("state") == "failed":
        error = info.get("error")
        said = ""
        if isinstance(error, dict):
            said = str(error.get("message") or error.get("name") or "")
        raise Rejected(f"X could not process the video{': ' + said if said else ''}. "
                       "Try another file (MP4 with H.264 video and AAC audio).")


def wait_processed(x: XApi, media_id: str, seconds: float) -> bool:
    """Ask X until it finished processing or `seconds` pass. True when done (or nothing to
    wait for); raises Rejected when X failed to process it."""
    deadline = time.monotonic() + seconds
    body = status(x, media_id)
    while _processing(body).get("state") in UNFINISHED:
        after = _processing(body).get("check_after_secs")
        pause = float(after) if isinstance(after, int | float) and after > 0 else 1.0
        pause = min(pause, MAX_CHECK_AFTER, max(0.0, deadline - time.monotonic()))
        if pause <= 0:
            return False
        time.sleep(pause)
        body = status(x, media_id)
    return True


def ensure_processed(x: XApi, media_id: str) -> None:
    """Before a post uses an uploaded video: still processing is a passing failure (the post
    waits and the same upload is used)."""
    if not wait_processed(x, media_id, 0.0):
        raise Transient("X is still processing the video; the post goes out when it is ready")
