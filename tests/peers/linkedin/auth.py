"""Who may do what: the token's scopes (403 ACCESS_DENIED when one is missing) and the member's
right to act as an author (themself, or an organization where they hold a role).

Scopes per call: learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
("Permissions"), /images-api, /comments-api, /organizations/organization-access-control-by-role.
Acting for an organization needs ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER or
CONTENT_ADMINISTRATOR (organization-access-control-by-role, "Organization roles").
"""

from __future__ import annotations

from tests.peers.linkedin.state import POSTING_ROLES, Store
from tests.peers.linkedin.wire import Problem, Request, access_denied, error


def need_scope(req: Request, resource: str, method: str, *any_of: str) -> None:
    assert req.token is not None
    if not set(any_of) & set(req.token.scopes):
        raise access_denied(req, resource, method)


def not_author(field: str = "/author") -> Problem:
    # as observed when the author is not the member or one of their pages
    return error(403, "Unpermitted fields present in REQUEST_BODY: Data Processing Exception "
                 f"while processing fields [{field}]", "ACCESS_DENIED", 100)


def may_act_as(store: Store, req: Request, urn: str, resource: str, method: str,
               field: str = "/author") -> None:
    """Writing as `urn`: the member themself with w_member_social, or an organization where
    the member may post, with w_organization_social."""
    assert req.member is not None
    if urn.startswith("urn:li:organization:"):
        need_scope(req, resource, method, "w_organization_social")
        if store.role(req.member.id, urn) not in POSTING_ROLES:
            raise not_author(field)
        return
    need_scope(req, resource, method, "w_member_social")
    if urn != req.member.urn:
        raise not_author(field)


def may_read(store: Store, req: Request, urn: str, resource: str, method: str) -> None:
    """Reading what `urn` wrote: r_member_social for the member's own (a restricted scope
    LinkedIn grants to approved apps), r_organization_social for a page they hold a role in."""
    assert req.member is not None
    if urn.startswith("urn:li:organization:"):
        need_scope(req, resource, method, "r_organization_social")
        if store.role(req.member.id, urn) is None:
            raise access_denied(req, resource, method)
        return
    need_scope(req, resource, method, "r_member_social")
    if urn != req.member.urn:
        raise access_denied(req, resource, method)
