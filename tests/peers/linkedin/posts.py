"""The Posts API (api.linkedin.com/rest/posts): create, get, batch get, find by author, delete.

Page: learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api (schema,
"Create a Post", "Find Posts by Authors", "Delete Posts"); the body rules below are the page's
schema written as plain checks (LinkedIn publishes no OpenAPI document). Violations are
answered as Rest.li does, 422 "ERROR :: /field :: reason", and recorded.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from tests.peers.linkedin import little
from tests.peers.linkedin.auth import may_act_as, may_read
from tests.peers.linkedin.state import Image, Post, Store, Video
from tests.peers.linkedin.wire import (
    Problem,
    ProtocolError,
    Reply,
    Request,
    error,
    query_urn,
    raw_query,
    restli_list,
    unprocessable,
)

COMMENTARY_MAX = 3000  # "commentary ... max length 3000 characters" (little text / posts page)
TOP_FIELDS = {"author", "commentary", "visibility", "distribution", "lifecycleState",
              "isReshareDisabledByAuthor", "content", "contentLandingPage",
              "contentCallToActionLabel", "reshareContext", "container", "adContext"}
REQUIRED = ("author", "visibility", "distribution", "lifecycleState")
VISIBILITY = {"PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"}
LIFECYCLE = {"PUBLISHED", "DRAFT"}
FEED = {"MAIN_FEED", "NONE"}
MEDIA_FIELDS = {"id", "title", "altText"}
ARTICLE_FIELDS = {"source", "title", "description", "thumbnail", "thumbnailAltText"}


def _type(path: str, value: Any, kind: type, name: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        shown = json.dumps(value, default=str)
        raise unprocessable(path, f"{shown[:80]} cannot be coerced to {name}")


def _fields(path: str, value: Any, allowed: set[str], required: tuple[str, ...] = ()) -> None:
    _type(path or "/", value, dict, "Record")
    for key in value:
        if key not in allowed:
            raise unprocessable(f"{path}/{key}", "unrecognized field found but not allowed")
    for key in required:
        if key not in value:
            raise unprocessable(f"{path}/{key}",
                                "field is required but not found and has no default value")


def _enum(path: str, value: Any, allowed: set[str]) -> None:
    _type(path, value, str, "String")
    if value not in allowed:
        raise unprocessable(path, f'"{value}" is not an enum symbol')


def _image(store: Store, path: str, urn: Any, author: str, *, video: bool = False) -> None:
    """An image (or, for content.media, a video) `author` uploaded and LinkedIn made
    AVAILABLE (images-api, videos-api)."""
    _type(path, urn, str, "String")
    image: Image | Video | None = store.images.get(urn)
    if image is None and video:
        image = store.videos.get(urn)
    if image is None or image.owner != author:
        raise error(400, f"{path}: {urn} is not an image uploaded by {author}",
                    "INVALID_CONTENT", 100)
    if image.status != "AVAILABLE":
        raise error(422, f"{path}: {urn} is {image.status}, not AVAILABLE", "INVALID_CONTENT",
                    100)


def check_body(store: Store, body: Any) -> None:
    _fields("", body, TOP_FIELDS, REQUIRED)
    author = body["author"]
    _type("/author", author, str, "String")
    if not (author.startswith("urn:li:person:") or author.startswith("urn:li:organization:")):
        raise unprocessable("/author", f'"{author}" is not a person or organization URN')
    if "commentary" in body:
        _type("/commentary", body["commentary"], str, "String")
        if len(body["commentary"]) > COMMENTARY_MAX:
            raise unprocessable("/commentary", f"length {len(body['commentary'])} is out of "
                                f"range 0...{COMMENTARY_MAX}")
    _enum("/visibility", body["visibility"], VISIBILITY)
    _enum("/lifecycleState", body["lifecycleState"], LIFECYCLE)
    dist = body["distribution"]
    _fields("/distribution", dist, {"feedDistribution", "targetEntities",
                                    "thirdPartyDistributionChannels"}, ("feedDistribution",))
    _enum("/distribution/feedDistribution", dist["feedDistribution"], FEED)
    for name in ("targetEntities", "thirdPartyDistributionChannels"):
        if name in dist:
            _type(f"/distribution/{name}", dist[name], list, "Array")
    if "isReshareDisabledByAuthor" in body:
        _type("/isReshareDisabledByAuthor", body["isReshareDisabledByAuthor"], bool, "Boolean")
    content = body.get("content")
    if content is None:
        return
    _fields("/content", content, {"media", "article", "multiImage"})
    if len(content) != 1:
        raise unprocessable("/content", "exactly one of media, article, multiImage is allowed")
    if "media" in content:
        _fields("/content/media", content["media"], MEDIA_FIELDS, ("id",))
        for key in ("title", "altText"):
            if key in content["media"]:
                _type(f"/content/media/{key}", content["media"][key], str, "String")
        _image(store, "/content/media/id", content["media"]["id"], author, video=True)
    elif "article" in content:
        article = content["article"]
        _fields("/content/article", article, ARTICLE_FIELDS, ("source", "title"))
        for key in ARTICLE_FIELDS & set(article):
            _type(f"/content/article/{key}", article[key], str, "String")
        if not article["source"].startswith(("http://", "https://")):
            raise unprocessable("/content/article/source", f'"{article["source"]}" is not a URL')
        if "thumbnail" in article:
            _image(store, "/content/article/thumbnail", article["thumbnail"], author)
    else:
        multi = content["multiImage"]
        _fields("/content/multiImage", multi, {"images"}, ("images",))
        _type("/content/multiImage/images", multi["images"], list, "Array")
        if not 2 <= len(multi["images"]) <= 20:
            raise unprocessable("/content/multiImage/images", "2 to 20 images are allowed")
        for n, item in enumerate(multi["images"]):
            _fields(f"/content/multiImage/images/{n}", item, {"id", "altText"}, ("id",))
            _image(store, f"/content/multiImage/images/{n}/id", item["id"], author)


def duplicate(urn: str) -> Problem:
    # The body as LinkedIn sends it (observed; github.com/Arisamiga/Linkedin-RSS/issues/5).
    return Problem(422, {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
                   f"Content is a duplicate of {urn}",
        "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected",
                                          "input": {}, "code": "DUPLICATE_POST"}]},
        "status": 422,
    })


def render(post: Post) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": post.urn, "author": post.author, "commentary": post.commentary,
        "visibility": post.visibility, "distribution": post.distribution,
        "lifecycleState": post.lifecycle_state,
        "isReshareDisabledByAuthor": post.reshare_disabled,
        "createdAt": post.created_at, "lastModifiedAt": post.created_at,
        "lifecycleStateInfo": {"isEditedByAuthor": False},
    }
    if post.lifecycle_state == "PUBLISHED":
        body["publishedAt"] = post.created_at
    if post.content is not None:
        body["content"] = post.content
    body.update(post.extra)
    return body


def create(store: Store, req: Request) -> Reply:
    body = req.json()
    check_body(store, body)
    author = body["author"]
    may_act_as(store, req, author, "partnerApiPostsExternal", "CREATE")
    sent = body.get("commentary", "")
    for post in store.posts.values():
        if (post.author == author and not post.deleted and post.sent_commentary == sent
                and post.content == body.get("content")
                and time.time() * 1000 - post.created_at < store.duplicate_seconds * 1000):
            raise duplicate(post.urn)
    parsed = little.parse(sent)
    urn = f"urn:li:share:{store.new_id()}"
    extra = {k: body[k] for k in ("contentLandingPage", "contentCallToActionLabel",
                                  "reshareContext", "container", "adContext") if k in body}
    store.posts[urn] = Post(
        urn, author, parsed.kept, sent, body["visibility"], body["distribution"],
        body["lifecycleState"], body.get("content"), bool(body.get("isReshareDisabledByAuthor")),
        int(time.time() * 1000), req.app.client_id if req.app else None, extra)
    return Reply(201, None, headers={"x-restli-id": urn, "x-linkedin-id": urn})


def _visible(store: Store, req: Request, urn: str) -> Post:
    post = store.posts.get(urn)
    if post is None or post.deleted:
        raise error(404, f"Post {urn} does not exist", "NOT_FOUND")
    may_read(store, req, post.author, "partnerApiPostsExternal", "GET")
    return post


def get_one(store: Store, req: Request) -> Reply:
    return Reply(200, render(_visible(store, req, req.params["urn"])))


def _paging(raw: dict[str, str], default: int = 10, most: int = 100) -> tuple[int, int]:
    try:
        start = int(raw.get("start", "0"))
        count = int(raw.get("count", str(default)))
    except ValueError as exc:
        raise ProtocolError(400, f"start and count must be integers: {exc}") from exc
    if start < 0 or count < 0 or count > most:
        raise ProtocolError(400, f"start must be >= 0 and count 0..{most}")
    return start, count


def page(elements: list[Any], raw: dict[str, str], path: str, start: int,
         count: int) -> dict[str, Any]:
    links = []
    if start + count < len(elements):
        params = {k: v for k, v in raw.items() if k not in {"start", "count"}}
        params.update({"start": str(start + count), "count": str(count)})
        href = path + "?" + "&".join(f"{quote(k)}={v}" for k, v in params.items())
        links.append({"type": "application/json", "rel": "next", "href": href})
    return {"paging": {"start": start, "count": count, "links": links,
                       "total": len(elements)},
            "elements": elements[start:start + count]}


def find_or_batch(store: Store, req: Request) -> Reply:
    raw = raw_query(req.query_string)
    if "ids" in raw:
        results: dict[str, Any] = {}
        statuses: dict[str, int] = {}
        errors: dict[str, Any] = {}
        for urn in restli_list(raw["ids"], "ids"):
            try:
                results[urn] = render(_visible(store, req, urn))
                statuses[urn] = 200
            except ProtocolError:
                raise
            except Problem as problem:
                statuses[urn] = problem.reply.status
                errors[urn] = problem.reply.body
        return Reply(200, {"results": results, "statuses": statuses, "errors": errors})
    if raw.get("q") != "author":
        raise ProtocolError(400, f"unknown finder q={raw.get('q')!r} (author, or ids=List(...))")
    author = query_urn(raw, "author")
    assert author is not None
    may_read(store, req, author, "partnerApiPostsExternal", "FINDER")
    start, count = _paging(raw)
    sort = raw.get("sortBy", "LAST_MODIFIED")
    if sort not in {"LAST_MODIFIED", "CREATED"}:
        raise ProtocolError(400, f"sortBy must be LAST_MODIFIED or CREATED, not {sort!r}")
    found = [p for p in store.posts.values() if p.author == author and not p.deleted]
    found.sort(key=lambda p: (p.created_at, p.urn), reverse=True)
    return Reply(200, page([render(p) for p in found], raw, "/rest/posts", start, count))


def delete(store: Store, req: Request) -> Reply:
    urn = req.params["urn"]
    post = store.posts.get(urn)
    if post is None:
        raise error(404, f"Post {urn} does not exist", "NOT_FOUND")
    may_act_as(store, req, post.author, "partnerApiPostsExternal", "DELETE")
    post.deleted = True  # deleting twice is answered 204 again (idempotent)
    return Reply(204, None)


ROUTES = {
    ("POST", "/rest/posts"): create,
    ("GET", "/rest/posts"): find_or_batch,
    ("GET", "/rest/posts/{urn}"): get_one,
    ("DELETE", "/rest/posts/{urn}"): delete,
}
