"""Posts, timelines, search, users, likes and reposts of X API v2, as the reference pages
describe them (each handler names its page; README.md has the full list)."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from typing import Any

from tests.peers.x.render import answer_posts, page, user_object
from tests.peers.x.state import Post, Store, User
from tests.peers.x.wire import Problem, Reply, Request, forbidden, invalid, missing

DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
DUPLICATE_WINDOW = 24 * 3600.0
SEARCH_WINDOW = 7 * 24 * 3600.0  # recent search: "the last seven days"

Handler = Callable[[Store, Request], Reply]


def _me(req: Request) -> User:
    assert req.user is not None
    return req.user


def _own(req: Request) -> User:
    """Endpoints acting for the authenticated user take its id in the path."""
    user = _me(req)
    if req.params.get("id") != user.id:
        raise forbidden("You are not permitted to perform this action.")
    return user


def _user_param(store: Store, req: Request) -> User | None:
    return store.users.get(req.params.get("id", ""))


# --- Manage Posts: docs.x.com/x-api/posts/manage-tweets/introduction, /create-post ----------
def create_post(store: Store, req: Request) -> Reply:
    user = _me(req)
    body = req.json()
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    text = body.get("text", "")
    media_ids = list((body.get("media") or {}).get("media_ids") or [])
    reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
    quote = body.get("quote_tweet_id")
    if not isinstance(text, str) or (not text and not media_ids):
        raise invalid("You must specify text or media.", {"text": [str(text)]})
    if media_ids and quote:
        raise invalid("media and quote_tweet_id are mutually exclusive.")
    media_keys = _attachable(store, user, media_ids)
    if reply is not None:
        parent = store.posts.get(str(reply))
        if parent is None or parent.deleted:
            raise forbidden("You attempted to reply to a Tweet that is deleted or not visible "
                            "to you.")
    if quote is not None:
        quoted = store.posts.get(str(quote))
        if quoted is None or quoted.deleted:
            raise invalid(f"The quoted Tweet [{quote}] does not exist.",
                          {"quote_tweet_id": [str(quote)]})
    with store.lock:
        now = time.time()
        if text and any(p.author_id == user.id and p.text == text and not p.deleted
                        and now - p.created_at < DUPLICATE_WINDOW for p in store.posts.values()):
            raise forbidden(DUPLICATE)
        post = store.add_post(user, text, reply_to=str(reply) if reply else None,
                              quote_of=str(quote) if quote else None, media_keys=media_keys,
                              client_id=req.token.client_id if req.token else None)
    return Reply(201, {"data": {"id": post.id, "text": post.text,
                                "edit_history_tweet_ids": [post.id]}})


def _attachable(store: Store, user: User, media_ids: list[Any]) -> list[str]:
    items = [store.media.get(str(i)) for i in media_ids]
    if any(m is None or m.owner_id != user.id or m.state != "succeeded" for m in items):
        raise invalid("Your media IDs are invalid.",
                      {"media.media_ids": [str(i) for i in media_ids]})
    kinds = [m.kind for m in items if m is not None]
    if len(kinds) > 1 and any(k != "photo" for k in kinds):
        raise invalid("You may attach up to 4 photos, 1 animated GIF or 1 video in a Post.")
    return [m.key for m in items if m is not None]


def delete_post(store: Store, req: Request) -> Reply:
    user = _me(req)
    post = store.posts.get(req.params["id"])
    if post is None or post.deleted:
        raise Problem(404, missing("tweet", "id", req.params["id"]))
    if post.author_id != user.id:
        raise forbidden("You are not allowed to delete a Tweet you did not author.")
    post.deleted = True
    return Reply(200, {"data": {"deleted": True}})


# --- Post lookup: docs.x.com/x-api/posts/lookup/introduction ---------------------------------
def get_post(store: Store, req: Request) -> Reply:
    post = store.posts.get(req.params["id"])
    if post is None or post.deleted:
        return Reply(200, {"errors": [missing("tweet", "id", req.params["id"])]})
    return Reply(200, answer_posts(store, [post], req.query, single=True))


def get_posts(store: Store, req: Request) -> Reply:
    found: list[Post] = []
    errors = []
    for post_id in req.query.get("ids", "").split(","):
        post = store.posts.get(post_id)
        if post is None or post.deleted:
            errors.append(missing("tweet", "ids", post_id))
        else:
            found.append(post)
    answer = answer_posts(store, found, req.query) if found else {}
    if errors:
        answer["errors"] = errors
    return Reply(200, answer)


# --- Timelines: docs.x.com/x-api/posts/timelines/integrate -----------------------------------
def _exclude(posts: list[Post], req: Request) -> list[Post]:
    exclude = set(req.query.get("exclude", "").split(","))
    if "replies" in exclude:
        posts = [p for p in posts if p.reply_to is None]
    if "retweets" in exclude:
        posts = [p for p in posts if p.retweet_of is None]
    return posts


def user_posts(store: Store, req: Request) -> Reply:
    user = _user_param(store, req)
    if user is None:
        return Reply(200, {"errors": [missing("user", "id", req.params["id"])]})
    posts = [p for p in store.live_posts() if p.author_id == user.id]
    return Reply(200, page(store, _exclude(posts, req), req.query, default=10))


def mentions(store: Store, req: Request) -> Reply:
    user = _user_param(store, req)
    if user is None:
        return Reply(200, {"errors": [missing("user", "id", req.params["id"])]})
    pattern = re.compile(rf"(?<![\w@])@{re.escape(user.username)}\b", re.IGNORECASE)
    posts = [p for p in store.live_posts()
             if p.author_id != user.id and p.retweet_of is None and pattern.search(p.text)]
    return Reply(200, page(store, posts, req.query, default=10))


def home_timeline(store: Store, req: Request) -> Reply:
    user = _own(req)
    authors = {user.id, *user.following}
    posts = [p for p in store.live_posts() if p.author_id in authors]
    return Reply(200, page(store, _exclude(posts, req), req.query, default=100))


# --- Recent search: docs.x.com/x-api/posts/search/integrate/build-a-query --------------------
def search_recent(store: Store, req: Request) -> Reply:
    query = req.query.get("query", "")
    try:
        match = _compile_query(store, query)
    except ValueError as exc:
        raise invalid(f"There were errors processing your request: {exc}",
                      {"query": [query]}) from exc
    since = time.time() - SEARCH_WINDOW
    posts = [p for p in store.live_posts() if p.created_at >= since and match(p)]
    return Reply(200, page(store, posts, req.query, default=10))


def _compile_query(store: Store, query: str) -> Callable[[Post], bool]:
    """A subset of X's query language: terms and "phrases" (AND), OR between groups,
    -negation, from:, to:, #hashtag, @mention, is:reply, is:retweet, is:quote, has:media."""
    groups = [g for g in re.split(r"\s+OR\s+", query.strip()) if g]
    if not groups:
        raise ValueError("empty query")
    compiled = []
    for group in groups:
        tests = []
        for raw in shlex.split(group):
            negate = raw.startswith("-") and len(raw) > 1
            term = raw[1:] if negate else raw
            tests.append((negate, _term(store, term)))
        compiled.append(tests)

    def match(post: Post) -> bool:
        return any(all(test(post) != negate for negate, test in tests) for tests in compiled)

    return match


def _term(store: Store, term: str) -> Callable[[Post], bool]:
    lowered = term.lower()
    if lowered.startswith("from:"):
        author = store.user_by_name(term[5:])
        return lambda p: author is not None and p.author_id == author.id
    if lowered.startswith("to:"):
        target = store.user_by_name(term[3:])
        return lambda p: target is not None and p.in_reply_to_user_id == target.id
    flags: dict[str, Callable[[Post], bool]] = {
        "is:reply": lambda p: p.reply_to is not None,
        "is:retweet": lambda p: p.retweet_of is not None,
        "is:quote": lambda p: p.quote_of is not None,
        "has:media": lambda p: bool(p.media_keys),
    }
    if lowered in flags:
        return flags[lowered]
    if ":" in term and not term.startswith(("#", "@")) and "://" not in term:
        raise ValueError(f"the operator {term.split(':')[0]!r} is not supported here")
    return lambda p: lowered in p.text.lower()


# --- Users lookup: docs.x.com/x-api/users/lookup/introduction --------------------------------
def _user_answer(store: Store, user: User, req: Request) -> Reply:
    return Reply(200, {"data": user_object(store, user, _fields(req, "user.fields"))})


def _fields(req: Request, name: str) -> list[str]:
    return [v for v in req.query.get(name, "").split(",") if v]


def users_me(store: Store, req: Request) -> Reply:
    return _user_answer(store, _me(req), req)


def user_by_id(store: Store, req: Request) -> Reply:
    user = _user_param(store, req)
    if user is None:
        return Reply(200, {"errors": [missing("user", "id", req.params["id"])]})
    return _user_answer(store, user, req)


def user_by_username(store: Store, req: Request) -> Reply:
    user = store.user_by_name(req.params["username"])
    if user is None:
        return Reply(200, {"errors": [missing("user", "username", req.params["username"])]})
    return _user_answer(store, user, req)


def users_lookup(store: Store, req: Request) -> Reply:
    by_name = req.template == "/2/users/by"
    values = req.query.get("usernames" if by_name else "ids", "").split(",")
    found, errors = [], []
    for value in values:
        user = store.user_by_name(value) if by_name else store.users.get(value)
        if user is None:
            errors.append(missing("user", "usernames" if by_name else "ids", value))
        else:
            found.append(user_object(store, user, _fields(req, "user.fields")))
    answer: dict[str, Any] = {}
    if found:
        answer["data"] = found
    if errors:
        answer["errors"] = errors
    return Reply(200, answer)


# --- Likes: docs.x.com/x-api/posts/likes/introduction ----------------------------------------
def _target(store: Store, req: Request) -> Post:
    body = req.json()
    tweet_id = str(body.get("tweet_id", "")) if isinstance(body, dict) else ""
    post = store.posts.get(tweet_id)
    if post is None or post.deleted:
        raise invalid(f"The Tweet [{tweet_id}] does not exist.", {"tweet_id": [tweet_id]})
    return post


def like(store: Store, req: Request) -> Reply:
    user = _own(req)
    post = _target(store, req)
    with store.lock:
        post.liked_by.add(user.id)
        if post.id not in user.liked:
            user.liked.insert(0, post.id)
    return Reply(200, {"data": {"liked": True}})


def unlike(store: Store, req: Request) -> Reply:
    user = _own(req)
    with store.lock:
        post = store.posts.get(req.params["tweet_id"])
        if post is not None:
            post.liked_by.discard(user.id)
        if req.params["tweet_id"] in user.liked:
            user.liked.remove(req.params["tweet_id"])
    return Reply(200, {"data": {"liked": False}})


def liked_posts(store: Store, req: Request) -> Reply:
    user = _user_param(store, req)
    if user is None:
        return Reply(200, {"errors": [missing("user", "id", req.params["id"])]})
    posts = [store.posts[i] for i in user.liked if not store.posts[i].deleted]
    return Reply(200, page(store, posts, req.query, default=100))


# --- Reposts: docs.x.com/x-api/posts/retweets/introduction -----------------------------------
def repost(store: Store, req: Request) -> Reply:
    user = _own(req)
    source = _target(store, req)
    with store.lock:
        existing = next((p for p in store.posts.values() if p.author_id == user.id
                         and p.retweet_of == source.id and not p.deleted), None)
        if existing is None:
            author = store.users[source.author_id]
            existing = store.add_post(user, f"RT @{author.username}: {source.text}",
                                      retweet_of=source.id)
    return Reply(200, {"data": {"id": existing.id, "retweeted": True}})


def unrepost(store: Store, req: Request) -> Reply:
    user = _own(req)
    with store.lock:
        for post in store.posts.values():
            if post.author_id == user.id and post.retweet_of == req.params["source_tweet_id"]:
                post.deleted = True
    return Reply(200, {"data": {"retweeted": False}})


ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", "/2/tweets"): create_post,
    ("DELETE", "/2/tweets/{id}"): delete_post,
    ("GET", "/2/tweets/{id}"): get_post,
    ("GET", "/2/tweets"): get_posts,
    ("GET", "/2/users/{id}/tweets"): user_posts,
    ("GET", "/2/users/{id}/mentions"): mentions,
    ("GET", "/2/users/{id}/timelines/reverse_chronological"): home_timeline,
    ("GET", "/2/tweets/search/recent"): search_recent,
    ("GET", "/2/users/me"): users_me,
    ("GET", "/2/users/{id}"): user_by_id,
    ("GET", "/2/users/by/username/{username}"): user_by_username,
    ("GET", "/2/users"): users_lookup,
    ("GET", "/2/users/by"): users_lookup,
    ("POST", "/2/users/{id}/likes"): like,
    ("DELETE", "/2/users/{id}/likes/{tweet_id}"): unlike,
    ("GET", "/2/users/{id}/liked_tweets"): liked_posts,
    ("POST", "/2/users/{id}/retweets"): repost,
    ("DELETE", "/2/users/{id}/retweets/{source_tweet_id}"): unrepost,
}
