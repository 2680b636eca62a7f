"""The Videos API (api.linkedin.com/rest/videos) and the part upload URLs it hands out.

Page: learn.microsoft.com/linkedin/marketing/community-management/shares/videos-api
- POST /rest/videos?action=initializeUpload {"initializeUploadRequest": {"owner",
  "fileSizeBytes", "uploadCaptions", "uploadThumbnail"}} -> 200 {"value": {"video",
  "uploadInstructions": [{"uploadUrl", "firstByte", "lastByte"}], "uploadToken",
  "uploadUrlsExpireAt"}}: one instruction per 4 MB part (4,194,304 bytes; the last part holds
  the rest); the owner is the member themself, or a page where the member is an
  administrator or sponsored-content poster, else 403 "Accessing this video resource is
  forbidden. Please check your permissions for this resource". A file outside 75 KB to 500 MB
  is refused (400; the wording the stand-in's).
- PUT each part's bytes to its uploadUrl (here /dms-uploads/video/{token}/{n}) -> 200 with an
  `ETag` header; a part of another length than its byte range -> 400.
- POST /rest/videos?action=finalizeUpload {"finalizeUploadRequest": {"video", "uploadToken",
  "uploadedPartIds"}} -> 200, empty; uploadedPartIds must be every part's ETag in order.
- GET /rest/videos/{encoded urn} -> owner, status (WAITING_UPLOAD, PROCESSING, AVAILABLE,
  PROCESSING_FAILED), id, and downloadUrl once AVAILABLE. PROCESSING lasts `processing_polls`
  reads; bytes that are not MP4 (no `ftyp` box) end PROCESSING_FAILED.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import time
from typing import Any

from tests.peers.linkedin.auth import may_act_as
from tests.peers.linkedin.state import Store, Video
from tests.peers.linkedin.wire import Problem, ProtocolError, Reply, Request, error, raw_query

UPLOAD_SECONDS = 24 * 3600
PART_BYTES = 4 * 1024 * 1024
MIN_BYTES = 75 * 1024
MAX_BYTES = 500 * 1024 * 1024
INIT_FIELDS = {"owner", "fileSizeBytes", "uploadCaptions", "uploadThumbnail",
               "mediaLibraryMetadata"}
FINALIZE_FIELDS = {"video", "uploadToken", "uploadedPartIds"}
UPLOAD_PREFIX = "/dms-uploads/video/"


def forbidden() -> Problem:
    return Problem(403, {"message": "Accessing this video resource is forbidden. Please check "
                                    "your permissions for this resource", "status": 403})


def _video_urn() -> str:
    alphabet = string.ascii_letters + string.digits
    return "urn:li:video:D5F10AQ" + "".join(secrets.choice(alphabet) for _ in range(15))


def _action(req: Request, wanted: str) -> dict[str, Any]:
    body = req.json()
    key = f"{wanted}Request"
    if not isinstance(body, dict) or set(body) != {key}:
        raise ProtocolError(422, f"the body must be {{\"{key}\": {{...}}}}")
    request = body[key]
    if not isinstance(request, dict):
        raise ProtocolError(422, f"ERROR :: /{key} :: not a record")
    return request


def _required(request: dict[str, Any], key: str, name: str, kind: type) -> Any:
    value = request.get(name)
    if value is None:
        raise ProtocolError(422, f"ERROR :: /{key}/{name} :: field is required but not found "
                            "and has no default value")
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise ProtocolError(422, f"ERROR :: /{key}/{name} :: {value!r} cannot be coerced")
    return value


def action(store: Store, req: Request, base_url: str) -> Reply:
    which = raw_query(req.query_string).get("action")
    if which == "initializeUpload":
        return initialize(store, req, base_url)
    if which == "finalizeUpload":
        return finalize(store, req)
    raise ProtocolError(400, f"action must be initializeUpload or finalizeUpload, not "
                        f"{which!r}")


def initialize(store: Store, req: Request, base_url: str) -> Reply:
    key = "initializeUploadRequest"
    request = _action(req, "initializeUpload")
    unknown = set(request) - INIT_FIELDS
    if unknown:
        raise ProtocolError(422, f"ERROR :: /{key}/{sorted(unknown)[0]} :: unrecognized field "
                            "found but not allowed")
    owner = _required(request, key, "owner", str)
    size = _required(request, key, "fileSizeBytes", int)
    for flag in ("uploadCaptions", "uploadThumbnail"):
        if flag in request and not isinstance(request[flag], bool):
            raise ProtocolError(422, f"ERROR :: /{key}/{flag} :: cannot be coerced to Boolean")
    try:
        may_act_as(store, req, owner, "videos", "ACTION", f"/{key}/owner")
    except Problem as refused:
        if refused.reply.status == 403 and "Unpermitted" in str(refused.reply.body):
            raise forbidden() from None
        raise
    if not MIN_BYTES <= size <= MAX_BYTES:
        raise error(400, f"/{key}/fileSizeBytes: {size} is outside the allowed range "
                    f"{MIN_BYTES}...{MAX_BYTES}", "INVALID_FILE_SIZE", 100)
    parts = [(first, min(first + PART_BYTES, size) - 1) for first in range(0, size, PART_BYTES)]
    expires = int((time.time() + UPLOAD_SECONDS) * 1000)
    video = Video(_video_urn(), owner, size, secrets.token_urlsafe(24), expires, parts)
    store.videos[video.urn] = video
    value: dict[str, Any] = {
        "uploadUrlsExpireAt": expires, "video": video.urn, "uploadToken": "",
        "uploadInstructions": [
            {"uploadUrl": f"{base_url}{UPLOAD_PREFIX}{video.upload_token}/{n}",
             "firstByte": first, "lastByte": last}
            for n, (first, last) in enumerate(parts)]}
    if request.get("uploadCaptions"):
        value["captionsUploadUrl"] = f"{base_url}{UPLOAD_PREFIX}{video.upload_token}/captions"
    if request.get("uploadThumbnail"):
        value["thumbnailUploadUrl"] = f"{base_url}{UPLOAD_PREFIX}{video.upload_token}/thumbnail"
    return Reply(200, {"value": value})


def upload(store: Store, req: Request) -> Reply:
    token, _, number = req.path.removeprefix(UPLOAD_PREFIX).partition("/")
    video = next((v for v in store.videos.values() if v.upload_token == token), None)
    if video is None or not number.isdigit() or int(number) >= len(video.parts):
        raise error(404, "No upload is waiting at this URL", "NOT_FOUND")
    if video.status != "WAITING_UPLOAD":
        raise ProtocolError(400, f"{video.urn} was already finalized")
    if time.time() * 1000 > video.upload_expires_at:
        raise error(400, "The upload URL has expired", "UPLOAD_URL_EXPIRED")
    first, last = video.parts[int(number)]
    if len(req.body) != last - first + 1:
        raise ProtocolError(400, f"part {number} must be bytes {first}-{last} "
                            f"({last - first + 1} bytes), not {len(req.body)} bytes")
    video.received[int(number)] = req.body
    etag = "/" + hashlib.sha256(req.body).hexdigest()[:40]
    video.etags[int(number)] = etag
    return Reply(200, None, headers={"ETag": etag})


def finalize(store: Store, req: Request) -> Reply:
    key = "finalizeUploadRequest"
    request = _action(req, "finalizeUpload")
    unknown = set(request) - FINALIZE_FIELDS
    if unknown:
        raise ProtocolError(422, f"ERROR :: /{key}/{sorted(unknown)[0]} :: unrecognized field "
                            "found but not allowed")
    urn = _required(request, key, "video", str)
    _required(request, key, "uploadToken", str)
    ids = _required(request, key, "uploadedPartIds", list)
    video = store.videos.get(urn)
    if video is None:
        raise error(404, f"Video {urn} does not exist", "NOT_FOUND")
    may_act_as_owner(store, req, video)
    if video.status != "WAITING_UPLOAD":
        raise error(400, f"{urn} was already finalized", "ALREADY_FINALIZED")
    wanted = [video.etags.get(n) for n in range(len(video.parts))]
    if None in wanted or ids != wanted:
        raise ProtocolError(400, f"/{key}/uploadedPartIds must be the ETag of every part in "
                            f"order ({len(video.parts)} parts, {len(video.received)} uploaded)")
    video.data = b"".join(video.received[n] for n in range(len(video.parts)))
    video.received.clear()
    video.status = "PROCESSING"
    return Reply(200, None)


def may_act_as_owner(store: Store, req: Request, video: Video) -> None:
    try:
        may_act_as(store, req, video.owner, "videos", "GET")
    except Problem as refused:
        if refused.reply.status == 403:
            raise forbidden() from None
        raise


def render(video: Video, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {"owner": video.owner, "status": video.status, "id": video.urn}
    if video.status == "AVAILABLE":
        body["downloadUrl"] = f"{base_url}/dms/video/{video.upload_token}"
        body["downloadUrlExpiresAt"] = int((time.time() + 3600) * 1000)
    return body


def is_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def get(store: Store, req: Request, base_url: str) -> Reply:
    video = store.videos.get(req.params["urn"])
    if video is None:
        raise error(404, f"Video {req.params['urn']} does not exist", "NOT_FOUND")
    may_act_as_owner(store, req, video)
    if video.status == "PROCESSING":
        if video.polls >= store.processing_polls:
            video.status = "AVAILABLE" if is_mp4(video.data) else "PROCESSING_FAILED"
        video.polls += 1
    return Reply(200, render(video, base_url))
