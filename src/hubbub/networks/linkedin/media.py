"""Pictures to LinkedIn through the Images API (learn.microsoft.com/linkedin/marketing/
community-management/shares/images-api):

1. POST /rest/images?action=initializeUpload `{"initializeUploadRequest": {"owner": author}}`
   answers `{"value": {"uploadUrl", "uploadUrlExpiresAt", "image": "urn:li:image:…"}}`;
2. PUT the bytes to uploadUrl (with the bearer token): the picture fitted to LinkedIn's 10 MB
   and 36,152,320 pixels first when it is larger (networks/image_fit.py);
3. GET /rest/images/{urn} until its `status` is AVAILABLE (WAITING_UPLOAD and PROCESSING come
   first; PROCESSING_FAILED is final).

The wait is bounded: a picture still processing after it is returned anyway (the engine saves
its URN), and `ensure_available` looks again, without waiting, before the post is sent, so a
retry uses the same upload. Alt text goes with the post (the Posts API's `altText`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hubbub.networks.base import MediaFile, fit_limits_of
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.image_fit import fitted
from hubbub.networks.linkedin.api import LinkedInApi, encode_query, urn_path
from hubbub.networks.linkedin.rules import capabilities

WAIT_SECONDS = 30.0
FIRST_PAUSE = 0.2
LONGEST_PAUSE = 3.0
UNFINISHED = ("WAITING_UPLOAD", "PROCESSING")
SCOPE = "w_member_social"


def upload(api: LinkedInApi, owner: str, media: MediaFile, *,
           wait_seconds: float = WAIT_SECONDS) -> str:
    picture = fitted(media, fit_limits_of(capabilities().media), "LinkedIn")
    started = api.post("/rest/images", {"initializeUploadRequest": {"owner": owner}},
                       query=encode_query({"action": "initializeUpload"}),
                       scope=scope_for(owner))
    value = started.get("value")
    upload_url = value.get("uploadUrl") if isinstance(value, dict) else None
    urn = value.get("image") if isinstance(value, dict) else None
    if not isinstance(upload_url, str) or not isinstance(urn, str) or not urn:
        raise Transient("LinkedIn's answer to an image upload names no upload URL or image")
    response = api.send("PUT", "", url=upload_url, data=picture.data, rest=False,
                        headers={"Content-Type": picture.mime_type})
    api.result(response)
    wait_available(api, urn, wait_seconds)
    return urn


def scope_for(owner: str) -> str:
    return "w_organization_social" if owner.startswith("urn:li:organization:") else SCOPE


def status(api: LinkedInApi, urn: str) -> str:
    body = api.get(f"/rest/images/{urn_path(urn)}")
    state = str(body.get("status") or "")
    if state == "PROCESSING_FAILED":
        raise Rejected("LinkedIn could not process the picture; try another file (JPEG, PNG "
                       "or GIF).")
    return state


def wait_available(api: LinkedInApi, urn: str, seconds: float,
                   status_of: Callable[[LinkedInApi, str], str] = status) -> bool:
    """Ask until AVAILABLE or `seconds` pass; True when available."""
    deadline = time.monotonic() + seconds
    pause = FIRST_PAUSE
    while status_of(api, urn) in UNFINISHED:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE)
    return True


def ensure_available(api: LinkedInApi, urn: str) -> None:
    if not wait_available(api, urn, 0.0):
        raise Transient("LinkedIn is still processing a picture; the post goes out when it is "
                        "ready")
