"""Mentions by URN: a page named after an @ in a draft, posted as a little-text mention element.

LinkedIn links a mention only as `@[Name](urn:li:person:…)` or `@[Name](urn:li:organization:…)`
in the commentary (little-text-format); a typed `@name` carries no URN. The pages this
connector can resolve are the ones the member administers (organizationAcls, the same read that
offers them when connecting, and each one's name from the organization lookup): a draft that
names one of them exactly after an @ ("at @Acme Bakery today") mentions it. People cannot be
resolved (LinkedIn lets apps look up no member but the signed-in one), so any other @name stays
plain text, escaped.

`resolve` reads (in `prepare`, once per delivery, so every retry sends the same commentary);
where the names are in the text and how they are written is little.py's (pure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hubbub.networks.linkedin import little, oauth
from hubbub.networks.linkedin.api import LinkedInApi

ORGANIZATION_SCOPES = {"rw_organization_admin", "r_organization_admin"}


def may_resolve(credentials: Mapping[str, Any]) -> bool:
    """Whether the login may read the pages the member administers (or does not say)."""
    return not credentials.get("scope") or bool(oauth.granted(credentials)
                                                 & ORGANIZATION_SCOPES)


def resolve(li: LinkedInApi, text: str) -> list[dict[str, str]]:
    """The pages `text` names after an @, among those the member administers, as
    [{name, urn}] (JSON for `prepared`)."""
    if "@" not in text:
        return []
    known = [(page.display_name, page.remote_id) for page in oauth.organizations(li)
             if page.display_name]
    chosen = {(name, urn) for _, _, name, urn in little.mention_spans(text, known)}
    return [{"name": name, "urn": urn} for name, urn in sorted(chosen)]


def from_prepared(prepared: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The (name, urn) pairs `resolve` stored; anything else in there is ignored."""
    stored = (prepared or {}).get("mentions")
    pairs: list[tuple[str, str]] = []
    for entry in stored if isinstance(stored, Sequence) else ():
        if isinstance(entry, Mapping):
            name, urn = entry.get("name"), entry.get("urn")
            if (isinstance(name, str) and isinstance(urn, str) and name
                    and urn.startswith("urn:li:")):
                pairs.append((name, urn))
    return pairs
