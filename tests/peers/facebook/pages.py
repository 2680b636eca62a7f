"""graph.facebook.com's Page endpoints: publish to /{page-id}/feed and /{page-id}/photos,
read /{page-id}/feed, /posts and /published_posts, read and write /{object-id}/comments,
read and delete /{object-id}.

Sources: docs/pages-api/posts (publish: message, link, published, scheduled_publish_time; the
answer `{"id": "{page-id}_{post-id}"}`; photos with `url` or a multipart `source`, `message`
as caption, `published=false` for unpublished photos then `attached_media[i]={"media_fbid"}`
for a multi-photo post; reading with fields; delete answers `{"success": true}`),
docs/graph-api/reference/page/feed, /page/photos, /post, /object/comments (message,
attachment_url, order, filter), docs/pages-api/comments-mentions (replies as the Page need
MODERATE and pages_manage_engagement), docs/graph-api/guides/error-handling (506 "Duplicate
Post", 1609005 link errors, 324 missing image). Photos: JPEG, BMP, PNG, GIF, TIFF, up to 4 MB
(reference/page/photos, "Requirements").
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from tests.peers.facebook.access import authenticate, need_permissions, page_token_for
from tests.peers.facebook.render import boolean, fb_time, fields, known_params, page_of, pick
from tests.peers.facebook.state import Comment, Page, Photo, Post, Store, Token
from tests.peers.facebook.wire import (
    GraphError,
    Reply,
    Request,
    blocked,
    duplicate,
    invalid,
    not_found,
)

MAX_PHOTO = 4 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "BMP", "TIFF"}
POST_FIELDS = {"id", "message", "created_time", "updated_time", "permalink_url", "from",
               "attachments", "full_picture", "is_published", "status_type", "link"}
COMMENT_FIELDS = {"id", "message", "created_time", "from", "parent", "comment_count",
                  "permalink_url", "can_comment"}
PHOTO_FIELDS = {"id", "name", "created_time", "images", "width", "height", "link", "from",
                "alt_text", "alt_text_custom"}
PAGE_FIELDS = {"id", "name", "category", "link", "fan_count", "picture"}


def _page(store: Store, page_id: str) -> Page:
    page = store.pages.get(page_id)
    if page is None:
        raise not_found(page_id)
    return page


def _token(store: Store, req: Request) -> Token:
    token = authenticate(store, req)
    assert token is not None
    return token


def _page_id(req: Request) -> str:
    return req.path.split("/")[1]


def _record(store: Store, req: Request, rule: str) -> None:
    store.protocol.append({"method": req.method, "path": req.path, "rule": rule,
                           "status": 200})


# --- publishing ---------------------------------------------------------------------------
def publish(store: Store, req: Request) -> Reply:
    page = _page(store, _page_id(req))
    token = _token(store, req)
    page_token_for(store, token, page.id, "CREATE_CONTENT", "pages_manage_posts",
                   "pages_read_engagement", what="Publishing to a Page")
    for name in known_params(req, {"message", "link", "published", "scheduled_publish_time",
                                   "targeting", "place", "tags"}):
        _record(store, req, f"POST /{{page-id}}/feed does not take {name}")
    message = req.params.get("message", "")
    link = req.params.get("link") or None
    photos = _attached(store, req, page)
    if not message.strip() and not link and not photos:
        raise invalid("(#100) Missing message or attachment", rule="a post with nothing in it")
    if link is not None and urlsplit(link).scheme not in {"http", "https"}:
        raise GraphError(100, "(#100) The link you entered is not a valid URL.",
                         subcode=1609005, rule=f"link={link!r}")
    published = boolean(req, "published", True)
    scheduled = req.params.get("scheduled_publish_time")
    if scheduled is not None:
        # reference/page/feed: a scheduled post is sent with published=false
        if published:
            raise invalid("(#100) Cannot specify a scheduled publish time on a published post",
                          rule="scheduled_publish_time without published=false")
        if not scheduled.isdigit():
            raise invalid("(#100) scheduled_publish_time must be a UNIX timestamp",
                          rule=f"scheduled_publish_time={scheduled!r}")
    if page.blocked:
        raise blocked()
    now = time.time()
    for post in store.posts.values():
        if (post.page_id == page.id and not post.deleted and not photos and not post.photo_ids
                and post.message == message and post.link == link
                and now - post.created_at < store.duplicate_seconds):
            raise duplicate()
    post = _new_post(store, page, message, link, [p.id for p in photos], token, published)
    for photo in photos:
        photo.used, photo.post_id = True, post.id
    return Reply(200, {"id": post.id})


def _attached(store: Store, req: Request, page: Page) -> list[Photo]:
    found: list[Photo] = []
    keys = sorted((k for k in req.params if k.startswith("attached_media[")),
                  key=lambda k: int(k[15:-1]) if k[15:-1].isdigit() else -1)
    for key in keys:
        try:
            value = json.loads(req.params[key])
            media_id = str(value["media_fbid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise invalid(f'(#100) {key} must be {{"media_fbid":"<photo id>"}}',
                          rule=f"{key}={req.params[key]!r}") from exc
        photo = store.photos.get(media_id)
        if photo is None or photo.page_id != page.id:
            raise invalid(f"(#100) attached_media: unknown photo {media_id}",
                          rule="attached_media names a photo of another Page or none")
        if photo.published or photo.used:
            raise invalid(f"(#100) attached_media: photo {media_id} is already published",
                          rule="attached_media takes unpublished photos not used before")
        found.append(photo)
    return found


def _new_post(store: Store, page: Page, message: str, link: str | None, photo_ids: list[str],
              token: Token, published: bool = True) -> Post:
    post = Post(f"{page.id}_{store.new_id()}", page.id, page.id, message, link, photo_ids,
                time.time(), token.app_id, published)
    store.posts[post.id] = post
    return post


def photos(store: Store, req: Request) -> Reply:
    page = _page(store, _page_id(req))
    token = _token(store, req)
    page_token_for(store, token, page.id, "CREATE_CONTENT", "pages_manage_posts",
                   "pages_read_engagement", what="Publishing to a Page")
    for name in known_params(req, {"url", "message", "caption", "published", "no_story",
                                   "temporary", "alt_text_custom", "scheduled_publish_time"}):
        _record(store, req, f"POST /{{page-id}}/photos does not take {name}")
    if "source" in req.files and req.params.get("url"):
        raise invalid("(#100) Send either url or source, not both", rule="url and source")
    if "source" in req.files:
        data, source = req.files["source"][2], "upload"
    elif req.params.get("url"):
        source = req.params["url"]
        data = _fetch(source)
    else:
        raise GraphError(324, "(#324) Requires upload file", rule="a photo without url/source")
    width, height = _image(data)
    published = boolean(req, "published", True)
    caption = req.params.get("message") or req.params.get("caption") or ""
    photo = Photo(store.new_id(), page.id, source, len(data), caption, published, None,
                  time.time(), width, height,
                  alt_text_custom=req.params.get("alt_text_custom") or None)
    store.photos[photo.id] = photo
    if not published:
        return Reply(200, {"id": photo.id})
    if page.blocked:
        raise blocked()
    post = _new_post(store, page, caption, None, [photo.id], token)
    photo.post_id, photo.used = post.id, True
    return Reply(200, {"id": photo.id, "post_id": post.id})


def _fetch(url: str) -> bytes:
    host = urlsplit(url).hostname or ""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise GraphError(100, "(#100) url should represent a valid URL", rule=f"url={url!r}")
    if host not in {"127.0.0.1", "localhost", "::1"}:
        # Facebook would fetch it; the stand-in never leaves the machine.
        raise GraphError(324, "(#324) Missing or invalid image file (the stand-in fetches only "
                         "loopback URLs)")
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # loopback only
            return bytes(answer.read(MAX_PHOTO + 1))
    except OSError as exc:
        raise GraphError(324, f"(#324) Missing or invalid image file ({exc})") from exc


def _image(data: bytes) -> tuple[int, int]:
    if len(data) > MAX_PHOTO:
        raise GraphError(324, "(#324) Missing or invalid image file (over 4 MB)",
                         rule="a photo over 4 MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in PHOTO_FORMATS:
                raise GraphError(324, "(#324) Missing or invalid image file",
                                 rule=f"a {image.format} photo")
            return image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise GraphError(324, "(#324) Missing or invalid image file",
                         rule="a photo that is not an image") from exc


# --- reading ------------------------------------------------------------------------------
def _post_object(store: Store, post: Post) -> dict[str, Any]:
    page = store.pages[post.page_id]
    number = post.id.split("_", 1)[1]
    obj: dict[str, Any] = {
        "id": post.id, "created_time": fb_time(post.created_at),
        "updated_time": fb_time(post.created_at),
        "permalink_url": f"https://www.facebook.com/{page.id}/posts/{number}",
        "from": {"name": page.name, "id": page.id}, "is_published": post.published,
        "status_type": "added_photos" if post.photo_ids else (
            "shared_story" if post.link else "mobile_status_update"),
        "link": post.link,
    }
    if post.message:
        obj["message"] = post.message
    shots = [store.photos[p] for p in post.photo_ids if p in store.photos]
    if shots:
        obj["full_picture"] = _src(shots[0])
        items = [_photo_attachment(p) for p in shots]
        obj["attachments"] = {"data": items if len(items) == 1 else [{
            "type": "album", "url": obj["permalink_url"], "target": {"id": number},
            "subattachments": {"data": items}}]}
    elif post.link:
        obj["attachments"] = {"data": [{"type": "share", "url": post.link,
                                        "unshimmed_url": post.link, "title": post.link,
                                        "target": {"url": post.link}}]}
    return obj


def _src(photo: Photo) -> str:
    return f"https://scontent.xx.fbcdn.net/v/t39.30808-6/{photo.id}_n.jpg"


def _photo_attachment(photo: Photo) -> dict[str, Any]:
    return {"type": "photo", "url": f"https://www.facebook.com/photo.php?fbid={photo.id}",
            "target": {"id": photo.id,
                       "url": f"https://www.facebook.com/photo.php?fbid={photo.id}"},
            "media": {"image": {"src": _src(photo), "width": photo.width,
                                "height": photo.height}},
            **({"description": photo.caption} if photo.caption else {})}


def read_feed(store: Store, req: Request) -> Reply:
    page = _page(store, _page_id(req))
    token = _token(store, req)
    _reader(store, token, page.id, "Reading a Page's posts")
    names = fields(req, "Post", POST_FIELDS, ["created_time", "message", "id"])
    edge = req.path.rsplit("/", 1)[-1]
    posts = [p for p in store.posts.values() if p.page_id == page.id and not p.deleted
             and (p.published or edge == "feed")]
    posts.sort(key=lambda p: (p.created_at, p.id), reverse=True)
    return Reply(200, page_of(req, posts, lambda p: p.id,
                              lambda p: pick(_post_object(store, p), names)))


def _reader(store: Store, token: Token, page_id: str, what: str) -> None:
    # Page content is read with a Page access token and pages_read_engagement
    # (docs/pages-api/posts "Requirements"; reference/page/feed "Permissions").
    if token.kind == "page":
        if token.page_id != page_id:
            raise GraphError(200, f"(#200) {what}: the Page access token is for another Page",
                             rule="a Page access token used for another Page")
        need_permissions(store, token, "pages_read_engagement", what=what)
        return
    raise GraphError(10, f"(#10) {what} requires a Page access token with "
                     "pages_read_engagement", status=403,
                     rule=f"{what} with a {token.kind} token")


def _find(store: Store, object_id: str) -> Any:
    for table in (store.posts, store.comments, store.photos, store.pages, store.users):
        found = table.get(object_id)
        if found is not None and not getattr(found, "deleted", False):
            return found
    raise not_found(object_id)


def _comment_object(store: Store, comment: Comment) -> dict[str, Any]:
    author = store.pages.get(comment.author_id) or store.users.get(comment.author_id)
    replies = sum(1 for c in store.comments.values()
                  if c.parent_id == comment.id and not c.deleted)
    obj: dict[str, Any] = {
        "id": comment.id, "message": comment.message,
        "created_time": fb_time(comment.created_at),
        "from": {"name": author.name if author else "", "id": comment.author_id},
        "comment_count": replies, "can_comment": True,
        "permalink_url": f"https://www.facebook.com/{comment.post_id}?comment_id={comment.id}",
    }
    if comment.parent_id != comment.post_id:
        obj["parent"] = {"id": comment.parent_id}
    return obj


def read_comments(store: Store, req: Request) -> Reply:
    parent = _find(store, req.path.split("/")[1])
    token = _token(store, req)
    if not isinstance(parent, Post | Comment):
        raise not_found(req.path.split("/")[1])
    page_id = parent.page_id if isinstance(parent, Post) else store.posts[parent.post_id].page_id
    _reader(store, token, page_id, "Reading comments")
    names = fields(req, "Comment", COMMENT_FIELDS, ["created_time", "from", "message", "id"])
    order = req.params.get("order", "chronological")
    flt = req.params.get("filter", "toplevel")
    if order not in {"chronological", "reverse_chronological", "ranked"} or \
            flt not in {"toplevel", "stream"}:
        raise invalid("(#100) order must be chronological, reverse_chronological or ranked; "
                      "filter toplevel or stream", rule=f"order={order} filter={flt}")
    items = [c for c in store.comments.values() if not c.deleted and (
        c.parent_id == parent.id or (flt == "stream" and isinstance(parent, Post)
                                     and c.post_id == parent.id))]
    items.sort(key=lambda c: (c.created_at, c.id), reverse=order == "reverse_chronological")
    return Reply(200, page_of(req, items, lambda c: c.id,
                              lambda c: pick(_comment_object(store, c), names)))


def write_comment(store: Store, req: Request) -> Reply:
    parent = _find(store, req.path.split("/")[1])
    token = _token(store, req)
    if not isinstance(parent, Post | Comment):
        raise not_found(req.path.split("/")[1])
    post = parent if isinstance(parent, Post) else store.posts[parent.post_id]
    page_token_for(store, token, post.page_id, "MODERATE", "pages_manage_engagement",
                   what="Commenting as a Page")
    for name in known_params(req, {"message", "attachment_url", "attachment_id",
                                   "attachment_share_url", "source"}):
        _record(store, req, f"POST /{{object-id}}/comments does not take {name}")
    message = req.params.get("message", "")
    if not message.strip() and not req.params.get("attachment_url"):
        raise invalid("(#100) Missing message or attachment", rule="an empty comment")
    comment = add_comment(store, parent, post, post.page_id, message)
    return Reply(200, {"id": comment.id})


def add_comment(store: Store, parent: Post | Comment, post: Post, author_id: str,
                message: str) -> Comment:
    # Facebook threads one level deep: a reply to a reply joins the top comment's thread.
    if isinstance(parent, Comment) and parent.parent_id != parent.post_id:
        parent = store.comments[parent.parent_id]
    number = post.id.split("_", 1)[1]
    comment = Comment(f"{number}_{store.new_id()}", parent.id, post.id, author_id, message,
                      time.time())
    store.comments[comment.id] = comment
    return comment


def read_node(store: Store, req: Request) -> Reply:
    object_id = req.path.split("/")[1]
    token = _token(store, req)
    found = _find(store, object_id)
    if isinstance(found, Post):
        _reader(store, token, found.page_id, "Reading a post")
        obj = _post_object(store, found)
        names = fields(req, "Post", POST_FIELDS, ["created_time", "message", "id"])
    elif isinstance(found, Comment):
        _reader(store, token, store.posts[found.post_id].page_id, "Reading a comment")
        obj = _comment_object(store, found)
        names = fields(req, "Comment", COMMENT_FIELDS, ["created_time", "from", "message",
                                                        "id"])
    elif isinstance(found, Photo):
        obj = {"id": found.id, "name": found.caption or None,
               "created_time": fb_time(found.created_at), "width": found.width,
               "height": found.height, "images": [{"source": _src(found),
                                                   "width": found.width,
                                                   "height": found.height}],
               "link": f"https://www.facebook.com/photo.php?fbid={found.id}",
               # reference/photo: alt_text is what Facebook shows (generated unless a custom
               # one was given), alt_text_custom the one the uploader gave
               "alt_text": found.alt_text_custom or "May be an image",
               "alt_text_custom": found.alt_text_custom}
        names = fields(req, "Photo", PHOTO_FIELDS, ["created_time", "name", "id"])
    elif isinstance(found, Page):
        obj = {"id": found.id, "name": found.name, "category": found.category,
               "link": f"https://www.facebook.com/{found.id}", "fan_count": 0,
               "picture": picture(req, found.id)}
        names = fields(req, "Page", PAGE_FIELDS, ["name", "id"])
    else:
        obj = {"id": found.id, "name": found.name}
        names = fields(req, "User", {"id", "name"}, ["name", "id"])
    return Reply(200, pick(obj, names))


def picture(req: Request, object_id: str) -> dict[str, Any]:
    """The `picture` field as reference/page (Page Picture) and ProfilePictureSource print it:
    {"data": {"height", "is_silhouette", "url", "width"}}, 50 x 50 by default. The url stands
    for Facebook's CDN and is served by the stand-in itself (/_cdn/), so nothing leaves the
    machine; no Page here has uploaded a picture, so is_silhouette is true."""
    return {"data": {"height": 50, "is_silhouette": True, "width": 50,
                     "url": f"{req.origin}/_cdn/{object_id}_picture.png"}}


def delete(store: Store, req: Request) -> Reply:
    object_id = req.path.split("/")[1]
    token = _token(store, req)
    found = _find(store, object_id)
    if isinstance(found, Post):
        page_token_for(store, token, found.page_id, "CREATE_CONTENT", "pages_manage_posts",
                       what="Deleting a post")
    elif isinstance(found, Comment):
        page_token_for(store, token, store.posts[found.post_id].page_id, "MODERATE",
                       "pages_manage_engagement", what="Deleting a comment")
    else:
        raise GraphError(100, "(#100) This object cannot be deleted", rule="DELETE of a "
                         f"{type(found).__name__}")
    found.deleted = True
    return Reply(200, {"success": True})


ROUTES = {
    ("POST", "/{page-id}/feed"): publish,
    ("POST", "/{page-id}/photos"): photos,
    ("GET", "/{page-id}/feed"): read_feed,
    ("GET", "/{page-id}/posts"): read_feed,
    ("GET", "/{page-id}/published_posts"): read_feed,
    ("GET", "/{object-id}/comments"): read_comments,
    ("POST", "/{object-id}/comments"): write_comment,
    ("GET", "/{object-id}"): read_node,
    ("DELETE", "/{object-id}"): delete,
}
