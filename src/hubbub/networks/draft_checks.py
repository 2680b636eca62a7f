"""Checks of a draft that read alike on networks whose rules otherwise differ: nothing to post,
text over the limit, and an attachment's description (alt text) missing or too long. Which
checks a network makes, in what order, and how it counts, stay in its own rules module. And
the text a quote goes with where the server cannot quote (Capabilities.quote_as_link): what
the connector sends, and what the composer counts and shows, are this one function's.
"""

from __future__ import annotations

from hubbub.networks.base import Draft, Problem


def over_limit(over: int, limit: int, unit: str = "character") -> str:
    """"38 characters over the limit of 500" (one character: "1 character over ..."): how
    every network's check says by how much a text, a description or its bytes are over."""
    return f"{over} {unit}{'' if over == 1 else 's'} over the limit of {limit}"


def text_problems(draft: Draft, count: int, limit: int, *, empty: str,
                  why: str = "") -> list[Problem]:
    """"empty" (with the sentence `empty`) for a draft with neither text nor media, and
    "too_long" when `count` is over `limit`; `why` is added to that sentence."""
    problems: list[Problem] = []
    if not draft.text.strip() and not draft.media:
        problems.append(Problem("empty", empty))
    if count > limit:
        problems.append(Problem(
            "too_long", f"{over_limit(count - limit, limit)}{why}"))
    return problems


def alt_problems(label: str, alt_text: str, most: int, *, required: bool) -> list[Problem]:
    """"alt_missing" for a blank description where the network's rules ask for one
    (`required`), "alt_too_long" for one over `most` characters (spaces around not counted)."""
    alt = alt_text.strip()
    if not alt:
        return [Problem("alt_missing", f"{label} needs a description (alt text)")] \
            if required else []
    if len(alt) > most:
        return [Problem("alt_too_long",
                        f"{label}: the description is {over_limit(len(alt) - most, most)}")]
    return []


def with_quote_link(text: str, url: str) -> str:
    """The text of a quote on a server that cannot quote: the quoted post's link after the
    words, a blank line between (the link alone for no words; unchanged when the link is
    already in the text, or not known)."""
    if not url or url in text:
        return text
    return f"{text.rstrip()}\n\n{url}" if text.strip() else url
