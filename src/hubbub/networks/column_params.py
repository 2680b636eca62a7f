"""What a column's parameter (a hashtag, a search, a list, a feed) may be, whatever the network:
the rules every connector's `column_param_refusal` starts from. A network's own rules (Mastodon's
tag letters, Bluesky's list addresses, Nostr's naddr) live in its package and add to these.

Each refusal is one sentence for the add-column dialog that says what is accepted; "" accepts.
"""

from __future__ import annotations

import unicodedata

# Searches: none of the networks states a limit for a query (Mastodon's /api/v2/search, Bluesky's
# app.bsky.feed.searchPosts `q`, NIP-50's `search`); a search is a few words, and a longer one
# matches nothing on any of them.
SEARCH_MAX = 100
# Hashtags: no tag people follow is longer than this where a network states no limit (Mastodon,
# Nostr); Bluesky's lexicon states its own (networks/bluesky/feeds.py).
HASHTAG_MAX_DEFAULT = 100
HASHTAG_EXAMPLE = "such as photography"


def shown(value: str) -> str:
    """A value as a message quotes it: one line, at most 60 characters, and no lone surrogate
    (which no page can carry). Every refusal message quotes values this way (listening's
    handles re-export it: the networks import nothing of listening)."""
    text = " ".join(value.encode("utf-8", "replace").decode("utf-8").split())
    return text if len(text) <= 60 else text[:59] + "…"


def refusal(name: str, kind: str, param: str, *, typed: str = "",
            hashtag_max: int = HASHTAG_MAX_DEFAULT) -> str:
    """Why `param` (one line, as the dialog cleans it; `typed` as it was typed) can name no
    `kind` column on the network called `name`; "" when it may. Kinds without a rule here
    (list, feed, author) are the network's to judge."""
    if typed and (said := control_refusal(typed)):
        return said
    if kind == "search":
        return search_refusal(param)
    if kind == "hashtag":
        return hashtag_refusal(name, param, typed, most=hashtag_max)
    return ""


def control_refusal(typed: str) -> str:
    """A control character (other than the spaces, tabs and line ends a paste may bring, which
    count as one space) or a lone surrogate: no network matches on them."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in " \t\n\r" for ch in typed):
        return (f"“{shown(typed)}” holds a control character (such as an escape or a bell), "
                "which no post can carry: type letters, digits and punctuation only.")
    return ""


def search_refusal(words: str) -> str:
    if len(words) > SEARCH_MAX:
        return (f"A search is at most {SEARCH_MAX} characters (this one has {len(words)}): "
                "keep the words that matter.")
    return ""


def hashtag_refusal(name: str, tag: str, typed: str, *, most: int = HASHTAG_MAX_DEFAULT) -> str:
    """One tag, without spaces or #, at most `most` characters (and ten bytes each)."""
    if not tag:
        if typed.strip():
            return (f"“{shown(typed)}” is not a hashtag: give the tag without the #, "
                    f"{HASHTAG_EXAMPLE}.")
        return ""
    if " " in tag or "#" in tag:
        return (f"“{shown(typed)}” is not one hashtag: give one tag without spaces or #, "
                f"{HASHTAG_EXAMPLE} (a column for several words is a search).")
    if len(tag) > most or len(tag.encode()) > 10 * most:
        return (f"“{shown(tag)}” is too long for a {name} hashtag: at most {most} characters "
                f"(it has {len(tag)}).")
    return ""
