"""A quote from the deck on Mastodon: native from 4.5 on (`quoted_status_id`), the quoted
post's link after the words on an older server (mapping.quotes_supported,
draft_checks.with_quote_link). The same version, read with the server's limits, is
Capabilities.quote_as_link: the composer counts and checks the link the same way
(publishing/quote_link.py), so a post it accepts is not refused here for the link."""

from __future__ import annotations

from hubbub.networks.base import Draft
from hubbub.networks.draft_checks import with_quote_link
from hubbub.networks.errors import NotFound, Rejected
from hubbub.networks.mastodon import mapping
from hubbub.networks.mastodon.client import Api


def text_and_quote(api: Api, draft: Draft) -> tuple[str, str | None]:
    """The text to post and the status it quotes natively (None: no quote). A server from
    Mastodon 4.5 on quotes by quoted_status_id, once the status quoted is seen to be there (a
    server may drop an id it does not find and post no quote); an older one gets the quoted
    post's link after the text."""
    if not draft.quote:
        return draft.text, None
    try:
        instance = api.call("instance_v2")
    except NotFound:
        instance = {}
    if not mapping.quotes_supported(instance):
        return with_quote_link(draft.text, draft.quote_url), None
    try:
        api.call("status", draft.quote)
    except NotFound:
        raise Rejected("The post quoted is not on the server any more: it cannot be "
                       "quoted.") from None
    return draft.text, draft.quote
