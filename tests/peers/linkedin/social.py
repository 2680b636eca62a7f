"""Comments (api.linkedin.com/rest/socialActions/{urn}/comments), organization roles
(/rest/organizationAcls?q=roleAssignee) and organization lookup (/rest/organizations).

Pages: learn.microsoft.com/linkedin/marketing/community-management/shares/comments-api
(a comment's `message.text` is plain text with `attributes`, not little text; `object` must be
the post the path names; `parentComment` makes a reply), /organizations/
organization-access-control-by-role (roleAssignee finder, `role`, `state`, `projection` with
`organization~` decoration), /organizations/organization-lookup-api (get and batch get).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

from tests.peers.linkedin.auth import may_act_as, may_read, need_scope
from tests.peers.linkedin.posts import _paging, page
from tests.peers.linkedin.state import ROLES, Comment, Organization, Store
from tests.peers.linkedin.wire import (
    Problem,
    ProtocolError,
    Reply,
    Request,
    error,
    raw_query,
    restli_list,
    unprocessable,
)

COMMENT_MAX = 1250  # the comments page: "message ... up to 1250 characters" (stand-in's reading)


def render_comment(comment: Comment, replies: int | None = None) -> dict[str, Any]:
    stamp = {"actor": comment.actor, "time": comment.created_at}
    body: dict[str, Any] = {
        "actor": comment.actor, "object": comment.object, "id": comment.id,
        "commentUrn": comment.urn, "$URN": comment.urn,
        "message": {"text": comment.text, "attributes": []},
        "created": stamp, "lastModified": stamp,
    }
    if replies is not None:  # the Comments API's commentsSummary (replies to this comment)
        body["commentsSummary"] = {"aggregatedTotalComments": replies,
                                   "totalFirstLevelComments": replies}
    if comment.parent:
        body["parentComment"] = comment.parent
    return body


def _post(store: Store, urn: str) -> Any:
    post = store.posts.get(urn)
    if post is None or post.deleted:
        raise error(404, f"{urn} does not exist", "NOT_FOUND")
    return post


def list_comments(store: Store, req: Request) -> Reply:
    """A post's comments, or (a comment URN in the path: "Retrieve comments on comments") the
    replies to one comment."""
    urn = req.params["urn"]
    parent = next((c for c in store.comments if c.urn == urn), None)
    post = _post(store, parent.object if parent else urn)
    may_read(store, req, post.author, "socialActions.comments", "GET_ALL")
    raw = raw_query(req.query_string)
    start, count = _paging(raw, default=10, most=100)
    found = [render_comment(c, sum(1 for r in store.comments if r.parent == c.urn))
             for c in store.comments
             if (c.parent == urn if parent else
                 c.object == urn and not (store.top_level_comments and c.parent))]
    path = f"/rest/socialActions/{req.path.split('/')[3]}/comments"
    return Reply(200, page(found, raw, path, start, count))


def add_comment(store: Store, req: Request) -> Reply:
    urn = req.params["urn"]
    body = req.json()
    if not isinstance(body, dict):
        raise unprocessable("/", f"{body!r} cannot be coerced to Record")
    for key in body:
        if key not in {"actor", "object", "message", "parentComment", "content"}:
            raise unprocessable(f"/{key}", "unrecognized field found but not allowed")
    for key in ("actor", "message"):
        if key not in body:
            raise unprocessable(f"/{key}", "field is required but not found and has no "
                                "default value")
    message = body["message"]
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        raise unprocessable("/message/text", "field is required but not found and has no "
                            "default value")
    if len(message["text"]) > COMMENT_MAX:
        raise unprocessable("/message/text", f"length {len(message['text'])} is out of range "
                            f"0...{COMMENT_MAX}")
    if body.get("object", urn) != urn:
        raise ProtocolError(400, f"object {body.get('object')!r} is not the post in the path "
                            f"({urn})")
    actor = body["actor"]
    if not isinstance(actor, str):
        raise unprocessable("/actor", f"{actor!r} cannot be coerced to String")
    _post(store, urn)
    may_act_as(store, req, actor, "socialActions.comments", "CREATE", "/actor")
    parent = body.get("parentComment")
    if parent is not None and not any(c.urn == parent for c in store.comments
                                      if c.object == urn):
        raise error(404, f"parentComment {parent} does not exist on {urn}", "NOT_FOUND")
    comment = add(store, urn, actor, message["text"], parent)
    return Reply(201, render_comment(comment), headers={"x-restli-id": comment.id})


def add(store: Store, urn: str, actor: str, text: str, parent: str | None = None) -> Comment:
    comment = Comment(str(store.new_id()), urn, actor, text, int(time.time() * 1000), parent)
    store.comments.append(comment)
    return comment


def render_org(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id, "localizedName": org.name, "vanityName": org.vanity,
        "name": {"localized": {"en_US": org.name},
                 "preferredLocale": {"country": "US", "language": "en"}},
        "primaryOrganizationType": "NONE", "organizationType": "PRIVATELY_HELD",
        "$URN": org.urn,
    }


def acls(store: Store, req: Request) -> Reply:
    need_scope(req, "organizationAcls", "FINDER", "rw_organization_admin",
               "r_organization_admin", "w_organization_social", "r_organization_social")
    raw = raw_query(req.query_string)
    if raw.get("q") != "roleAssignee":
        raise ProtocolError(400, f"unknown finder q={raw.get('q')!r} (roleAssignee)")
    role = unquote(raw.get("role", "")) or None
    if role is not None and role not in ROLES:
        raise ProtocolError(400, f"role {role!r} is not one of {sorted(ROLES)}")
    state = unquote(raw.get("state", "APPROVED"))
    if state not in {"APPROVED", "REQUESTED", "REJECTED", "REVOKED"}:
        raise ProtocolError(400, f"state {state!r} is not APPROVED/REQUESTED/REJECTED/REVOKED")
    start, count = _paging(raw, default=10, most=100)
    decorate = "organization~" in unquote(raw.get("projection", ""))
    assert req.member is not None
    elements = []
    if state == "APPROVED":
        for org in sorted(store.organizations.values(), key=lambda o: o.id):
            held = org.roles.get(req.member.id)
            if held is None or (role is not None and held != role):
                continue
            item: dict[str, Any] = {"roleAssignee": req.member.urn, "state": "APPROVED",
                                    "role": held, "organization": org.urn}
            if decorate:
                item["organization~"] = render_org(org)
            elements.append(item)
    return Reply(200, page(elements, raw, "/rest/organizationAcls", start, count))


def _org(store: Store, raw: str) -> Organization:
    if not raw.isdigit():
        raise ProtocolError(400, f"organization id {raw!r} is not a number")
    org = store.organizations.get(int(raw))
    if org is None:
        raise error(404, f"Organization {raw} does not exist", "NOT_FOUND")
    return org


def organization(store: Store, req: Request) -> Reply:
    return Reply(200, render_org(_org(store, req.params["id"])))


def organizations(store: Store, req: Request) -> Reply:
    raw = raw_query(req.query_string)
    if "ids" not in raw:
        raise ProtocolError(400, "ids=List(...) is required (or a finder)")
    results: dict[str, Any] = {}
    statuses: dict[str, int] = {}
    errors: dict[str, Any] = {}
    for item in restli_list(raw["ids"], "ids"):
        try:
            results[item] = render_org(_org(store, item))
            statuses[item] = 200
        except ProtocolError:
            raise
        except Problem as problem:
            statuses[item] = problem.reply.status
            errors[item] = problem.reply.body
    return Reply(200, {"results": results, "statuses": statuses, "errors": errors})


ROUTES = {
    ("GET", "/rest/socialActions/{urn}/comments"): list_comments,
    ("POST", "/rest/socialActions/{urn}/comments"): add_comment,
    ("GET", "/rest/organizationAcls"): acls,
    ("GET", "/rest/organizations/{id}"): organization,
    ("GET", "/rest/organizations"): organizations,
}
