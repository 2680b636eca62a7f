"""Building and writing records: the post record (text, facets, reply, a quote, images or a
link card), blobs, and createRecord with a chosen record key, settled by getRecord on any doubt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hubbub.core.counting import bluesky_text
from hubbub.core.video import NotAVideo, probe_video
from hubbub.networks.base import Draft, MediaFile, Published
from hubbub.networks.bluesky import cards, facets, mapping
from hubbub.networks.bluesky.mapping import POST, REPOST, AtUri
from hubbub.networks.bluesky.media import ImageError, fit_limits, prepare_image
from hubbub.networks.bluesky.xrpc import Xrpc
from hubbub.networks.errors import ConnectorError, NotFound, OutcomeUnknown, Rejected, Transient
from hubbub.networks.image_fit import fitted


def image_limit(api: Xrpc) -> int:
    try:
        described = api.query("com.atproto.server.describeServer", auth=False)
    except ConnectorError:
        return mapping.IMAGE_MAX_BYTES
    return mapping.capabilities_from_server(described).media.image_max_bytes


def upload_blob(api: Xrpc, data: bytes, mime_type: str) -> dict[str, Any]:
    body = api.procedure("com.atproto.repo.uploadBlob", data=data, content_type=mime_type)
    blob = body.get("blob")
    if not isinstance(blob, dict):
        raise Transient(f"{mapping.host_of(api.base_url)} sent no blob reference")
    return blob


def upload_image(api: Xrpc, media: MediaFile, max_bytes: int) -> str:
    """Upload one picture fitted to Bluesky (networks/image_fit.py: as it is when it fits)."""
    image = fitted(media, fit_limits(max_bytes), "Bluesky")
    blob = upload_blob(api, image.data, image.mime_type)
    ref = {"blob": blob, "aspectRatio": {"width": image.width, "height": image.height}}
    return json.dumps(ref, separators=(",", ":"))


def upload_video(api: Xrpc, media: MediaFile) -> str:
    """Upload a video blob as it is (the hub does not transcode). Its picture size is read from
    the file again, so the post's aspect ratio is the file's own."""
    name = Path(media.path).name
    try:
        with open(media.path, "rb") as stream:
            info = probe_video(stream)
            stream.seek(0)
            data = stream.read()
    except (NotAVideo, OSError) as exc:
        raise Rejected(f"{name}: {exc}") from None
    blob = upload_blob(api, data, info.mime_type)
    ref = {"blob": blob, "video": True,
           "aspectRatio": {"width": info.width, "height": info.height}}
    return json.dumps(ref, separators=(",", ":"))


def resolve_handle(api: Xrpc, handle: str) -> str | None:
    """A handle's DID, or None when it names no account (a mention then stays plain text)."""
    try:
        body = api.query("com.atproto.identity.resolveHandle", {"handle": handle}, auth=False)
    except (Rejected, NotFound):
        return None
    did = body.get("did")
    return did if isinstance(did, str) and did.startswith("did:") else None


def post_record(api: Xrpc, draft: Draft, media_ids: tuple[str, ...]) -> dict[str, Any]:
    text = bluesky_text(draft.text, draft.content_warning)
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": mapping.now_iso()}
    if draft.language:
        record["langs"] = [draft.language]
    found = facets.detect(text, lambda handle: resolve_handle(api, handle))
    if found:
        record["facets"] = [facet.to_record() for facet in found]
    if draft.in_reply_to:
        parent = strong_ref(api, draft.in_reply_to, want_record=True)
        value = parent.pop("value")
        root = value.get("reply", {}).get("root") if isinstance(value, dict) else None
        valid_root = isinstance(root, dict) and {"uri", "cid"} <= root.keys()
        record["reply"] = {"root": root if valid_root else parent, "parent": parent}
    quoted = quoted_ref(api, draft.quote) if draft.quote else None
    if quoted is not None:
        record["embed"] = quote_embed(quoted, media_embed(draft, media_ids) if media_ids
                                      else None)
    elif media_ids:
        record["embed"] = media_embed(draft, media_ids)
    else:
        link = next((f.value for f in found if f.kind == "link"), None)
        card = link_card(api, link) if link else None
        if card is not None:
            record["embed"] = card
    return record


def quoted_ref(api: Xrpc, ref: str) -> dict[str, Any]:
    """The strong ref of the post a quote quotes; a post deleted meanwhile is said plainly."""
    try:
        return strong_ref(api, ref)
    except Rejected as exc:
        raise Rejected(f"The post quoted cannot be quoted: {exc.message}") from None


def quote_embed(quoted: dict[str, Any], media: dict[str, Any] | None) -> dict[str, Any]:
    """The embed of a quote: app.bsky.embed.record with the quoted post's strong ref, or with
    pictures or a video, app.bsky.embed.recordWithMedia (a post has one embed: a link card
    gives way to the quote)."""
    record = {"$type": "app.bsky.embed.record", "record": {"uri": quoted["uri"],
                                                           "cid": quoted["cid"]}}
    if media is None:
        return record
    return {"$type": "app.bsky.embed.recordWithMedia", "record": record, "media": media}


def media_embed(draft: Draft, media_ids: tuple[str, ...]) -> dict[str, Any]:
    """app.bsky.embed.video for an uploaded video (a post carries one, alone), else images."""
    for index, media_id in enumerate(media_ids):
        try:
            ref = json.loads(media_id)
        except ValueError:
            continue
        if isinstance(ref, dict) and ref.get("video") and isinstance(ref.get("blob"), dict):
            alt = draft.media[index].alt_text if index < len(draft.media) else ""
            embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": ref["blob"]}
            if alt:
                embed["alt"] = alt
            if isinstance(ref.get("aspectRatio"), dict):
                embed["aspectRatio"] = ref["aspectRatio"]
            return embed
    return images_embed(draft, media_ids)


def images_embed(draft: Draft, media_ids: tuple[str, ...]) -> dict[str, Any]:
    images = []
    for index, media_id in enumerate(media_ids):
        try:
            ref = json.loads(media_id)
            blob = ref["blob"]
        except (ValueError, TypeError, KeyError):
            raise Rejected(f"Attachment {index + 1} was not uploaded to Bluesky") from None
        alt = draft.media[index].alt_text if index < len(draft.media) else ""
        image: dict[str, Any] = {"alt": alt, "image": blob}
        if isinstance(ref.get("aspectRatio"), dict):
            image["aspectRatio"] = ref["aspectRatio"]
        images.append(image)
    return {"$type": "app.bsky.embed.images", "images": images}


def link_card(api: Xrpc, url: str) -> dict[str, Any] | None:
    """app.bsky.embed.external for the first link; None (no card) when the page gives none."""
    card = cards.fetch_card(url)
    if card is None:
        return None
    external: dict[str, Any] = {"uri": card.uri, "title": card.title,
                                "description": card.description}
    raw = cards.fetch_image(card.image_url) if card.image_url else None
    if raw:
        try:
            thumb = prepare_image(raw, mapping.THUMB_MAX_BYTES)
            external["thumb"] = upload_blob(api, thumb.data, thumb.mime_type)
        except (ImageError, ConnectorError):
            pass  # a card without its picture
    return {"$type": "app.bsky.embed.external", "external": external}


def get_record(api: Xrpc, repo: str, collection: str, rkey: str) -> dict[str, Any] | None:
    response = api.send(
        "GET",
        "com.atproto.repo.getRecord",
        params={"repo": repo, "collection": collection, "rkey": rkey},
        auth=False,
    )
    if response.status_code in (400, 404):
        failure = api.failure(response)
        if response.status_code == 404 or failure.error in ("RecordNotFound", "InvalidRequest"):
            return None
    return api.result(response)


def strong_ref(api: Xrpc, ref: str, *, want_record: bool = False) -> dict[str, Any]:
    """{"uri", "cid"} of a post named by at:// URI or web address (and its "value")."""
    parsed = mapping.parse_post_ref(ref)
    if parsed is not None and parsed.collection == REPOST and parsed.repo.startswith("did:"):
        # A repost from a timeline stands for the post it reposts.
        repost = get_record(api, parsed.repo, REPOST, parsed.rkey)
        subject = (repost or {}).get("value", {}).get("subject", {}).get("uri", "")
        parsed = mapping.parse_at_uri(subject) if isinstance(subject, str) else None
    if parsed is None or parsed.collection != POST:
        # (a like or a follow from a notification is not something to reply to or like)
        raise Rejected(f"{ref!r} does not name a Bluesky post (at://... or its web address)")
    repo = parsed.repo
    if not repo.startswith("did:"):
        repo = resolve_handle(api, repo) or ""
        if not repo:
            raise Rejected(f"No Bluesky account has the handle @{parsed.repo}")
    found = get_record(api, repo, parsed.collection, parsed.rkey)
    if found is None:
        raise Rejected(f"The post {ref} does not exist (any more)")
    result: dict[str, Any] = {"uri": str(AtUri(repo, parsed.collection, parsed.rkey)),
                              "cid": str(found.get("cid") or "")}
    if want_record:
        result["value"] = found.get("value") or {}
    return result


def create(api: Xrpc, did: str, collection: str, rkey: str, record: dict[str, Any]) -> Published:
    """createRecord with a chosen key, settled by getRecord on any doubt: the reference PDS
    answers a second create with the same key with HTTP 500 (other servers may say 400 or
    409), and a 5xx can come after the write. A record already at the key is ours."""
    body = {"repo": did, "collection": collection, "rkey": rkey, "record": record}
    response = api.send(
        "POST", "com.atproto.repo.createRecord", json_body=body, unsafe_write=True
    )
    if 200 <= response.status_code < 300:
        created = api.result(response, unsafe_write=True)
        uri = created.get("uri")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise OutcomeUnknown(
                f"{mapping.host_of(api.base_url)} accepted the post but named no record for it"
            )
        return mapping.published(uri, record)
    failure = api.failure(response)
    error = mapping.map_failure(failure, base_url=api.base_url, unsafe_write=True)
    if failure.status in (401, 429) or failure.error in ("ExpiredToken", "InvalidToken"):
        raise error  # refused before anything was written
    try:
        existing = get_record(api, did, collection, rkey)
    except ConnectorError as exc:
        raise OutcomeUnknown(
            f"{error.message}; checking whether the post was made failed too ({exc.message})"
        ) from None
    if existing is not None:
        return mapping.published(str(existing.get("uri") or AtUri(did, collection, rkey)),
                                 existing.get("value"))
    raise error
