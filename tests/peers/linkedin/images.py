"""The Images API (api.linkedin.com/rest/images) and the upload URL it hands out.

Page: learn.microsoft.com/linkedin/marketing/community-management/shares/images-api
- POST /rest/images?action=initializeUpload {"initializeUploadRequest": {"owner": urn}} ->
  200 {"value": {"uploadUrlExpiresAt", "uploadUrl", "image"}}
- PUT the bytes to uploadUrl with the same bearer token (here /dms-uploads/{token}, standing
  for www.linkedin.com/dms-uploads/...) -> 201
- GET /rest/images/{encoded urn} -> owner, status (WAITING_UPLOAD, PROCESSING, AVAILABLE,
  PROCESSING_FAILED), downloadUrl once AVAILABLE. PROCESSING lasts `processing_polls` reads.
JPG, PNG and GIF are the formats the page allows; other bytes end PROCESSING_FAILED.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from tests.peers.linkedin.auth import may_act_as
from tests.peers.linkedin.state import Image, Store
from tests.peers.linkedin.wire import ProtocolError, Reply, Request, error, raw_query

UPLOAD_SECONDS = 24 * 3600
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
              b"GIF87a": "image/gif", b"GIF89a": "image/gif"}


def _kind(data: bytes) -> str | None:
    for magic, kind in SIGNATURES.items():
        if data.startswith(magic):
            return kind
    return None


def _image_urn() -> str:
    alphabet = string.ascii_letters + string.digits
    return "urn:li:image:D4E10AQ" + "".join(secrets.choice(alphabet) for _ in range(15))


def initialize(store: Store, req: Request, base_url: str) -> Reply:
    raw = raw_query(req.query_string)
    if raw.get("action") != "initializeUpload":
        raise ProtocolError(400, f"action must be initializeUpload, not {raw.get('action')!r}")
    body = req.json()
    if not isinstance(body, dict) or set(body) != {"initializeUploadRequest"}:
        raise ProtocolError(422, "the body must be {\"initializeUploadRequest\": {...}}")
    request = body["initializeUploadRequest"]
    if not isinstance(request, dict) or not isinstance(request.get("owner"), str):
        raise ProtocolError(422, "ERROR :: /initializeUploadRequest/owner :: field is required "
                            "but not found and has no default value")
    unknown = set(request) - {"owner", "mediaLibraryMetadata"}
    if unknown:
        raise ProtocolError(422, f"ERROR :: /initializeUploadRequest/{sorted(unknown)[0]} :: "
                            "unrecognized field found but not allowed")
    owner = request["owner"]
    may_act_as(store, req, owner, "images", "ACTION", "/initializeUploadRequest/owner")
    expires = int((time.time() + UPLOAD_SECONDS) * 1000)
    image = Image(_image_urn(), owner, secrets.token_urlsafe(24), expires)
    store.images[image.urn] = image
    return Reply(200, {"value": {"uploadUrlExpiresAt": expires,
                                 "uploadUrl": f"{base_url}/dms-uploads/{image.upload_token}",
                                 "image": image.urn}})


def upload(store: Store, req: Request) -> Reply:
    token = req.path.removeprefix("/dms-uploads/")
    image = next((i for i in store.images.values() if i.upload_token == token), None)
    if image is None:
        raise error(404, "No upload is waiting at this URL", "NOT_FOUND")
    if image.status != "WAITING_UPLOAD":
        raise ProtocolError(400, f"{image.urn} was already uploaded")
    if time.time() * 1000 > image.upload_expires_at:
        raise error(400, "The upload URL has expired", "UPLOAD_URL_EXPIRED")
    if not req.body:
        raise ProtocolError(400, "the upload is empty")
    image.data = req.body
    image.media_type = _kind(req.body)
    image.status = "PROCESSING"
    return Reply(201, None)


def render(image: Image, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {"owner": image.owner, "status": image.status, "id": image.urn}
    if image.status == "AVAILABLE":
        body["downloadUrl"] = f"{base_url}/dms/image/{image.upload_token}"
        body["downloadUrlExpiresAt"] = int((time.time() + 3600) * 1000)
        body["mediaType"] = image.media_type
    return body


def get(store: Store, req: Request, base_url: str) -> Reply:
    image = store.images.get(req.params["urn"])
    if image is None:
        raise error(404, f"Image {req.params['urn']} does not exist", "NOT_FOUND")
    if image.status == "PROCESSING":
        if image.polls >= store.processing_polls:
            image.status = "AVAILABLE" if image.media_type else "PROCESSING_FAILED"
        image.polls += 1
    return Reply(200, render(image, base_url))


def download(store: Store, token: str) -> Reply:
    image = next((i for i in store.images.values()
                  if i.upload_token == token and i.status == "AVAILABLE"), None)
    if image is None:
        return Reply(404, b"", "text/plain")
    return Reply(200, image.data, image.media_type or "application/octet-stream")
