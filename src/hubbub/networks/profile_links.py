"""What an account's public profile points at, as read by networks/<network>/profile_links.py
(through `Connector.read_profiles`) for the People suggestions: links and handles from its
fields, bio and website, each with where it was found and whether the network verified it.

Only the network's own API is asked (Mastodon's accounts, Bluesky's getProfiles, a Nostr
account's relays): a linked address is kept as text and never fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_PROFILES = 25  # a call reads at most this many profiles
MAX_LINKS = 40  # kept of one profile
MAX_VALUE = 300  # characters of one link kept
MAX_TEXT = 5000  # characters of one bio or field read
MAX_FIELDS = 16  # profile fields (Mastodon) or identity tags (Nostr) read of one profile


@dataclass(frozen=True, slots=True)
class Link:
    value: str  # an address, a handle (ana@social.example) or an npub, as the profile has it
    where: str  # "profile field “Bluesky”", "bio", "website", "NIP-05 address"
    verified: bool = False  # the network checked it (Mastodon's rel=me verified_at)


@dataclass(frozen=True, slots=True)
class Profile:
    handle: str  # as asked for
    found: bool = True  # False: the network has no such account
    links: tuple[Link, ...] = ()
    aliases: tuple[str, ...] = field(default=())  # other names of the account (a DID, a handle)


# Every repeat is bounded (a label at most 63 characters, a domain at most 10 labels), so a
# match tried from each position of a hostile bio ("-a-a-a…", no dot) gives up after a bounded
# number of steps: the work grows with the text's length, not with its square (an unbounded
# `[a-z0-9-]+` rescanned the rest of the text from every "-").
_LABEL = r"[a-z0-9-]{1,63}"
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]{1,2000}", re.IGNORECASE)
# A fediverse handle: "@ana@social.example" or "ana@social.example"; with the leading "@" the
# domain may be one word ("@ana@localhost"), without it it needs a dot.
_USER = r"[a-z0-9_][a-z0-9_.-]{0,63}"
_FEDI = re.compile(rf"(?<![\w@/.])(?:@({_USER})@({_LABEL}(?:\.{_LABEL}){{0,9}})"
                   rf"|({_USER})@({_LABEL}(?:\.{_LABEL}){{1,9}}))", re.IGNORECASE)
_NPUB = re.compile(r"\bnpub1[02-9ac-hj-np-z]{58}\b")
_BARE = re.compile(rf"(?<![\w@/.])((?:{_LABEL}\.){{1,10}}[a-z]{{2,63}}/[^\s<>\"'()]{{0,2000}})",
                   re.IGNORECASE)
PATTERNS = (_URL, _FEDI, _NPUB, _BARE)


def links_in_text(text: str, where: str, verified: bool = False) -> list[Link]:
    """Addresses, fediverse handles and npubs written in a bio or a field's value."""
    text = text[:MAX_TEXT]
    found: list[str] = []
    for match in _URL.finditer(text):
        found.append(match.group(0).rstrip(".,;:!?"))
    rest = _URL.sub(" ", text)
    for match in _FEDI.finditer(rest):
        user, host = (match.group(1), match.group(2)) if match.group(1) else (match.group(3),
                                                                             match.group(4))
        found.append(f"{user}@{host}")
    for match in _NPUB.finditer(rest):
        found.append(match.group(0))
    for match in _BARE.finditer(_FEDI.sub(" ", rest)):
        found.append("https://" + match.group(1).rstrip(".,;:!?"))
    return [Link(value[:MAX_VALUE], where, verified) for value in dict.fromkeys(found)]


class _Anchors(HTMLParser):
    """The hrefs and the visible text of a bit of HTML (a Mastodon bio or field value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)
        elif tag in ("br", "p"):
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def links_in_html(html: str, where: str, verified: bool = False) -> list[Link]:
    """The links of HTML: its anchors' addresses, and what its text names (as links_in_text)."""
    parser = _Anchors()
    try:
        parser.feed(html[:20_000])
        parser.close()
    except (ValueError, AssertionError):
        return links_in_text(html, where, verified)
    found = [Link(href[:MAX_VALUE], where, verified) for href in parser.hrefs
             if href.lower().startswith(("http://", "https://"))]
    found.extend(links_in_text("".join(parser.text), where, verified))
    seen: set[str] = set()
    unique = []
    for link in found:
        if link.value not in seen:
            seen.add(link.value)
            unique.append(link)
    return unique


def bounded(links: list[Link]) -> tuple[Link, ...]:
    """One link per value (a verified one kept first), at most MAX_LINKS."""
    best: dict[str, Link] = {}
    for link in links:
        kept = best.get(link.value)
        if kept is None or (link.verified and not kept.verified):
            best[link.value] = link
    return tuple(list(best.values())[:MAX_LINKS])
