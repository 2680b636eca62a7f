"""A quote on a server that cannot show one (Capabilities.quote_as_link: the network quotes
natively, this server does not, e.g. Mastodon before 4.5) goes out as the quoted post's link
after the words (networks/draft_checks.with_quote_link, what the connector sends). The
composer counts, checks and previews the post as it goes: with the link, and says so."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hubbub.networks.base import Capabilities, Connector, Draft, Problem
from hubbub.networks.draft_checks import with_quote_link

PREVIEW_NOTE = ("This server shows no quotes: the quoted post's link goes after your words, "
                "as shown.")


def as_sent(draft: Draft, caps: Capabilities) -> Draft:
    """The draft as the server gets it: where it cannot quote, the words with the quoted
    post's link after them and no quote (the link is the quote); otherwise `draft` itself."""
    if not draft.quote or not caps.quote_as_link:
        return draft
    text = with_quote_link(draft.text, draft.quote_url)
    if text == draft.text:  # no address known, or the person put the link in already
        return draft
    return replace(draft, text=text, quote="", quote_url="")


@dataclass(frozen=True)
class LinkCost:
    """What the link adds to the count: the link itself (23 on Mastodon, whatever its
    length) and with the blank line before it."""

    link: int
    added: int

    def counter_note(self, *, thread: bool = False) -> str:
        """What the counter says; in a thread the link goes with the first part only."""
        where = "the first part's words" if thread else "your words"
        return (f"Counts the quoted post's link, added after {where} (this server shows no "
                f"quotes): {self._what()}.")

    def explain(self, problem: Problem) -> Problem:
        """A "too long" problem that says the link was counted in (the words may fit alone)."""
        if problem.code != "too_long":
            return problem
        return replace(problem, message=(
            f"{problem.message.rstrip('. ')}, with the quoted post's link after your words "
            f"(this server shows no quotes): {self._what()}"))

    def _what(self) -> str:
        if self.added == self.link:
            return f"the link counts {self.link} characters"
        return (f"the link counts {self.link} characters, {self.added} with the blank line "
                "before it")


def link_cost(connector: Connector, draft: Draft, caps: Capabilities) -> LinkCost | None:
    """What the quoted post's link adds to `draft`'s count here; None where nothing is added
    (no quote, a server that quotes, the link already in the words)."""
    sent = as_sent(draft, caps)
    if sent is draft:
        return None
    words = replace(draft, quote="", quote_url="")
    link = replace(words, text=draft.quote_url, content_warning="", media=())
    return LinkCost(link=connector.validate(link, caps).count,
                    added=connector.validate(sent, caps).count
                    - connector.validate(words, caps).count)
