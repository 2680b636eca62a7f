"""Graph objects as Meta answers them: `fields` (with nested `field{sub}` and `.limit()`
tolerated), default fields per node type, times as `2026-12-01T10:00:00+0000`, and cursor
paging (`data`, `paging.cursors.before/after`, `paging.next` / `previous`).

From docs/graph-api/guides/field-expansion, docs/graph-api/results ("Cursor-based
Pagination": `after`, `before`, `limit`, `next`, "Don't store cursors ... they can quickly
become invalid"), docs/graph-api/reference/page/feed (default fields and limit) and the Post
reference (docs/graph-api/reference/post: id, message, created_time, permalink_url, from,
attachments, full_picture, is_published, status_type).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from tests.peers.facebook.wire import Request, invalid

MAX_LIMIT = 100


def fb_time(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


def fields(req: Request, node: str, known: set[str], default: list[str]) -> list[str]:
    """The top-level field names asked for; an unknown one is Meta's (#100) error."""
    raw = req.params.get("fields")
    if not raw:
        return default
    names = [re.split(r"[{.]", part, maxsplit=1)[0].strip() for part in _top(raw)]
    for name in names:
        if name not in known:
            raise invalid(f"(#100) Tried accessing nonexisting field ({name}) on node type "
                          f"({node})", rule=f"unknown field {name} on {node}")
    return names


def _top(raw: str) -> list[str]:
    """Split `a,b{c,d},e.limit(2)` at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(raw):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return [p for p in (x.strip() for x in parts) if p]


def cursor(key: str) -> str:
    return base64.urlsafe_b64encode(("c:" + key).encode()).decode().rstrip("=")


def uncursor(value: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not raw.startswith("c:"):
        raise invalid("(#100) The after/before cursor is not valid", rule="a made-up cursor")
    return raw[2:]


def limit(req: Request, default: int = 25) -> int:
    raw = req.params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise invalid(f"(#100) limit must be a positive integer, not {raw!r}",
                      rule="a bad limit")
    return min(int(raw), MAX_LIMIT)


def page_of[T](req: Request, items: Sequence[T], key: Callable[[T], str],
               render: Callable[[T], dict[str, Any]], default: int = 25) -> dict[str, Any]:
    """One page of `items` (already in answer order) with cursors; `next` only when more."""
    size = limit(req, default)
    keys = [key(i) for i in items]
    start = 0
    if req.params.get("after"):
        after = uncursor(req.params["after"])
        start = keys.index(after) + 1 if after in keys else len(keys)
    elif req.params.get("before"):
        before = uncursor(req.params["before"])
        end = keys.index(before) if before in keys else 0
        start = max(0, end - size)
    chunk = list(items[start:start + size])
    answer: dict[str, Any] = {"data": [render(i) for i in chunk]}
    if chunk:
        paging: dict[str, Any] = {"cursors": {"before": cursor(key(chunk[0])),
                                              "after": cursor(key(chunk[-1]))}}
        base = {k: v for k, v in req.params.items() if k not in {"after", "before"}}
        prefix = f"{req.origin}/{req.version or 'v26.0'}{req.path}?"
        if start + size < len(items):
            paging["next"] = prefix + urlencode({**base, "limit": size,
                                                 "after": paging["cursors"]["after"]})
        if start > 0:
            paging["previous"] = prefix + urlencode({**base, "limit": size,
                                                     "before": paging["cursors"]["before"]})
        answer["paging"] = paging
    return answer


def pick(obj: dict[str, Any], names: list[str]) -> dict[str, Any]:
    out = {n: obj[n] for n in names if n in obj and obj[n] is not None}
    out.setdefault("id", obj["id"])
    return out


def boolean(req: Request, name: str, default: bool) -> bool:
    raw = req.params.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    raise invalid(f"(#100) Param {name} must be a boolean", rule=f"{name}={raw!r}")


def known_params(req: Request, allowed: set[str]) -> list[str]:
    """Parameters the reference page does not list (Graph ignores them; a client that sends
    one has a typo or a wrong idea, so the stand-in records it)."""
    common = {"access_token", "appsecret_proof", "fields", "method", "format", "pretty",
              "suppress_http_code", "locale", "debug"}
    return sorted(k for k in req.params if k not in allowed | common
                  and not k.startswith("attached_media["))
