"""Media upload of X API v2: the one-shot upload, the chunked upload by the document's own
endpoints (initialize / {id}/append / {id}/finalize), the processing status, and media
metadata (alt text). The `command=INIT|APPEND|FINALIZE` form that the chunked quickstart page
still shows is not in the document and X's own sample moved off it in 2025
(xdevplatform/samples#199): it is refused as an invalid request, and recorded.

Pages: docs.x.com/x-api/media/quickstart/media-upload-chunked, /quickstart/best-practices,
/x-api/media/upload-media, /initialize-media-upload, /append-media-upload,
/finalize-media-upload, /get-media-upload-status, /create-media-metadata.
"""

from __future__ import annotations

import base64
import binascii
import io
import time
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.peers.x.spec import multipart
from tests.peers.x.state import Media, Store, User
from tests.peers.x.wire import Reply, Request, forbidden, invalid

MB = 1024 * 1024
# "Image size <= 5 MB", "Animated GIF size <= 15 MB", video "must not exceed 512 mb"
# (best practices page).
LIMITS = {"3": 5 * MB, "16": 15 * MB, "7": 512 * MB}
EXPIRES = 86400
ASYNC = {"tweet_video", "amplify_video", "tweet_gif", "dm_video", "dm_gif"}


def _prefix(category: str, media_type: str) -> str:
    if category in {"tweet_gif", "dm_gif"}:
        return "16"
    if category in {"tweet_video", "amplify_video", "dm_video"} or media_type.startswith("video/"):
        return "7"
    return "3"


def _fields(req: Request) -> dict[str, tuple[bytes, str | None, str]]:
    """A request body's fields as bytes, from JSON (media base64), multipart or a form."""
    media = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        try:
            return multipart(req.headers["content-type"], req.body)
        except ValueError as exc:
            raise invalid(f"The multipart body could not be read: {exc}") from exc
    if media == "application/json":
        body = req.json()
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        out: dict[str, tuple[bytes, str | None, str]] = {}
        for name, value in body.items():
            if name == "media":
                try:
                    out[name] = (base64.b64decode(str(value), validate=True), None, "")
                except (binascii.Error, ValueError) as exc:
                    raise invalid("media is not valid base64.", {"media": ["..."]}) from exc
            else:
                text = value if isinstance(value, str) else _json_scalar(value)
                out[name] = (text.encode(), None, "")
        return out
    if media == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qs

        form = parse_qs(req.body.decode("latin-1"), keep_blank_values=True)
        return {k: (v[-1].encode("latin-1"), None, "") for k, v in form.items()}
    if not req.body:
        return {}
    raise invalid(f"Unsupported content type {media!r}.")


def _json_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _text(fields: dict[str, tuple[bytes, str | None, str]], name: str) -> str | None:
    item = fields.get(name)
    return item[0].decode("utf-8", "replace") if item else None


def _me(req: Request) -> User:
    assert req.user is not None
    return req.user


def _new(store: Store, user: User, category: str, media_type: str) -> Media:
    media_id = store.next_id()
    key = f"{_prefix(category, media_type)}_{media_id}"
    item = Media(media_id, key, user.id, category, media_type, time.time(),
                 expires_at=time.time() + EXPIRES)
    store.media[media_id] = item
    return item


def _decode_image(item: Media) -> None:
    try:
        with Image.open(io.BytesIO(item.data)) as image:
            item.width, item.height = image.size
            item.media_type = Image.MIME.get(image.format or "", item.media_type)
    except (UnidentifiedImageError, OSError) as exc:
        raise invalid("The media could not be processed: it is not a JPG, PNG, GIF or WEBP "
                      "image.") from exc


def _check_size(item: Media) -> None:
    limit = LIMITS[item.key.split("_")[0]]
    if len(item.data) > limit:
        raise invalid(f"File size exceeds {limit} bytes.", {"media": [str(len(item.data))]})


def _summary(item: Media, with_size: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "media_key": item.key,
                            "expires_after_secs": max(0, int(item.expires_at - time.time()))}
    if with_size:
        data["size"] = len(item.data)
    if item.state in {"pending", "in_progress", "failed"}:
        data["processing_info"] = _processing(item)
    return data


def _processing(item: Media) -> dict[str, Any]:
    info: dict[str, Any] = {"state": item.state}
    if item.state in {"pending", "in_progress"}:
        info["check_after_secs"] = 1
    if item.state == "in_progress":
        info["progress_percent"] = 50
    if item.state == "succeeded":
        info["progress_percent"] = 100
    if item.state == "failed":
        info["error"] = {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}
    return info


# --- one request: POST /2/media/upload -------------------------------------------------------
def upload(store: Store, req: Request) -> Reply:
    fields = _fields(req)
    if "command" in fields:
        raise invalid("The command parameter is not supported: use /2/media/upload/initialize, "
                      "/{id}/append and /{id}/finalize.", {"command": [_text(fields, "command")
                                                                       or ""]})
    user = _me(req)
    category = _text(fields, "media_category") or "tweet_image"
    if "media" not in fields:
        raise invalid("media is required.", {"media": []})
    with store.lock:
        item = _new(store, user, category, fields["media"][2] or "image/jpeg")
        item.data = fields["media"][0]
        if item.key.startswith("3_"):
            _decode_image(item)
        _check_size(item)
        item.state = "succeeded"
    return Reply(200, {"data": _summary(item)})


# --- chunked: initialize / append / finalize -------------------------------------------------
def initialize(store: Store, req: Request) -> Reply:
    body = req.json()
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return _init(store, _me(req), {k: _json_scalar(v) for k, v in body.items()})


def _init(store: Store, user: User, values: dict[str, str | None]) -> Reply:
    media_type = values.get("media_type") or ""
    category = values.get("media_category") or ("tweet_video" if media_type.startswith("video/")
                                                 else "tweet_image")
    total = values.get("total_bytes")
    if not media_type or not total or not total.isdigit():
        raise invalid("media_type and total_bytes are required.",
                      {"total_bytes": [str(total)], "media_type": [media_type]})
    with store.lock:
        item = _new(store, user, category, media_type)
        item.total_bytes = int(total)
        if item.total_bytes > LIMITS[item.key.split("_")[0]]:
            del store.media[item.id]
            raise invalid(f"total_bytes {total} exceeds the limit for {category}.")
    return Reply(200, {"data": _summary(item, with_size=False)})


def _owned(store: Store, req: Request, media_id: str) -> Media:
    item = store.media.get(media_id)
    if item is None:
        raise invalid(f"The media_id [{media_id}] is not valid.", {"media_id": [media_id]})
    if item.owner_id != _me(req).id:
        raise forbidden("You are not permitted to use this media.")
    return item


def append(store: Store, req: Request) -> Reply:
    media_id = req.params["id"]
    fields = _fields(req)
    item = _owned(store, req, media_id)
    index = _text(fields, "segment_index") or ""
    if not index.isdigit() or int(index) > 999:
        raise invalid("segment_index must be an integer from 0 to 999.",
                      {"segment_index": [index]})
    if "media" not in fields:
        raise invalid("media is required.", {"media": []})
    with store.lock:
        if item.state != "uploading":
            raise invalid("The upload was already finalized.", {"media_id": [media_id]})
        item.segments[int(index)] = fields["media"][0]
    return Reply(200, {"data": {"expires_at": int(item.expires_at)}})


def finalize(store: Store, req: Request) -> Reply:
    media_id = req.params["id"]
    item = _owned(store, req, media_id)
    with store.lock:
        if item.state != "uploading":
            return Reply(200, {"data": _summary(item)})  # FINALIZE again answers the same
        indexes = sorted(item.segments)
        if indexes != list(range(len(indexes))) or not indexes:
            raise invalid("Segments are missing: APPEND segment_index 0, 1, 2... first.",
                          {"media_id": [media_id]})
        data = b"".join(item.segments[i] for i in indexes)
        if item.total_bytes is not None and len(data) != item.total_bytes:
            raise invalid(f"File size mismatch: total_bytes was {item.total_bytes}, "
                          f"{len(data)} were appended.", {"media_id": [media_id]})
        item.data, item.segments = data, {}
        _check_size(item)
        if item.category in ASYNC:
            item.state = "pending"
            item.polls_left = store.processing_polls
        else:
            if item.key.startswith("3_"):
                _decode_image(item)
            item.state = "succeeded"
    return Reply(200, {"data": _summary(item)})


# --- GET /2/media/upload?command=STATUS&media_id= --------------------------------------------
def status(store: Store, req: Request) -> Reply:
    item = _owned(store, req, req.query.get("media_id", ""))
    with store.lock:
        if item.state in {"pending", "in_progress"}:
            item.polls_left -= 1
            if item.polls_left <= 0:
                item.state = "failed" if store.processing_fails else "succeeded"
            else:
                item.state = "in_progress"
        data = {"id": item.id, "media_key": item.key,
                "expires_after_secs": max(0, int(item.expires_at - time.time()))}
        if item.state != "uploading":
            data["processing_info"] = _processing(item)
    return Reply(200, {"data": data})


# --- POST /2/media/metadata ------------------------------------------------------------------
def metadata(store: Store, req: Request) -> Reply:
    body = req.json()
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    item = _owned(store, req, str(body.get("id", "")))
    alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
    if alt is not None:
        if not isinstance(alt, str) or len(alt) > 1000:
            raise invalid("alt_text.text must be a string of at most 1000 characters.")
        item.alt_text = alt
    associated = {"alt_text": {"text": item.alt_text}} if item.alt_text is not None else {}
    return Reply(200, {"data": {"id": item.id, "associated_metadata": associated}})


ROUTES = {
    ("POST", "/2/media/upload"): upload,
    ("GET", "/2/media/upload"): status,
    ("POST", "/2/media/upload/initialize"): initialize,
    ("POST", "/2/media/upload/{id}/append"): append,
    ("POST", "/2/media/upload/{id}/finalize"): finalize,
    ("POST", "/2/media/metadata"): metadata,
}
