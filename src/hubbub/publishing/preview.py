"""How a post will look on each network: the composer's live preview.

Each network shows the same words differently: Mastodon shortens a link to its first 30
characters without the scheme and a mention to its @user; Bluesky shows the text as written,
puts a warning on the first line (it has no warning field) and adds a card for the first link
of a post without images. A style is chosen by the account's counting rule (a capability),
with a plain one for any other network.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import regex

from hubbub.connections.models import Connection
from hubbub.core.counting import bluesky_text, inline_warning, mastodon_entities
from hubbub.networks.base import Capabilities, Draft
from hubbub.publishing.quote_link import PREVIEW_NOTE, as_sent


@dataclass(frozen=True)
class Segment:
    kind: str  # text, link, mention, tag
    text: str  # as the network shows it
    full: str = ""  # the whole link or handle, for a tooltip


def video_label(meta: str) -> str:
    """What a slot's description ("type;size;width;height[;duration;rate]", as the compose
    script and the server write it) says of a video, for people: "Video · 4:00 · 1280 x 720".
    "" for a picture. Only shown, never trusted: the file itself is checked on the server."""
    fields = meta.split(";")
    if not fields[0].startswith("video/"):
        return ""

    def number(at: int) -> float:
        try:
            value = float(fields[at]) if len(fields) > at else 0.0
        except ValueError:
            return 0.0
        return value if value == value and 0 < value < 1e9 else 0.0  # NaN, inf, nonsense

    bits = ["Video"]
    seconds = round(number(4))
    if seconds:
        minutes, rest = divmod(seconds, 60)
        bits.append(f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}" if minutes >= 60
                    else f"{minutes}:{rest:02d}")
    width, height = int(number(2)), int(number(3))
    if width and height:
        bits.append(f"{width} x {height}")
    return " · ".join(bits)


@dataclass(frozen=True)
class PreviewImage:
    url: str  # "" while the browser still holds the file: the page fills it in
    alt: str
    slot: int
    video: str = ""  # a video's description ("Video · 4:00 · 1280 x 720"); "" for a picture
    # What the picture goes as on this network, from the fitter's own plan
    # (networks/image_fit.fit_description): "as is" or "2048 x 1536 JPEG, at most 1.9 MB".
    fit: str = ""


@dataclass(frozen=True)
class PreviewPost:
    segments: tuple[Segment, ...]
    content_warning: str  # shown collapsed in front of the text ("" for none)
    images: tuple[PreviewImage, ...]
    card_host: str  # a link card is expected for this host
    number: int
    total: int


@dataclass(frozen=True)
class TargetPreview:
    connection: Connection
    posts: tuple[PreviewPost, ...]
    card_note: str
    # "Sent without the picture: ..." when the account cannot carry some attachments.
    media_note: str = ""
    # "Ana has no Bluesky account here: written as “Ana”." for each @[name] not written as a
    # mention on this network (publishing/mentions.py).
    mention_notes: tuple[str, ...] = ()
    # Said where the server cannot show a quote: the quoted post's link goes after the words
    # (it is in the preview's text, and no quote is shown under it).
    quote_note: str = ""

    @property
    def is_thread(self) -> bool:
        return len(self.posts) > 1

    @property
    def fit_note(self) -> str:
        """What size each picture goes as here: "Picture sent as 2048 x 1536 JPEG, at most
        1.9 MB" (one), "Pictures sent as: 1, as is; 2, 2048 x 1536 ..." (several); ""."""
        pictures = [image for post in self.posts for image in post.images
                    if image.fit and not image.video]
        if not pictures:
            return ""
        if len(pictures) == 1:
            return f"Picture sent {pictures[0].fit}" if pictures[0].fit == "as is" else \
                f"Picture sent as {pictures[0].fit}"
        if all(image.fit == "as is" for image in pictures):
            return "Pictures sent as they are"
        return "Pictures sent as: " + "; ".join(
            f"{n}, {image.fit}" for n, image in enumerate(pictures, start=1))


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    shown: str
    full: str


Finder = Callable[[str, Capabilities], list[_Span]]

_URL = regex.compile(r"(?<![\w@/])https?://[^\s<>\"]+[^\s<>\".,;:!?'\")\]]", regex.IGNORECASE)
# A hashtag: '#' not glued to a word, then word characters with at least one letter.
_TAG = regex.compile(r"(?<![\w/#&])#(\w*[^\W\d_]\w*)")


def _tags(text: str) -> list[_Span]:
    return [_Span(m.start(), m.end(), "tag", m.group(0), m.group(0)) for m in _TAG.finditer(text)]


def _plain_links(text: str) -> list[_Span]:
    return [_Span(m.start(), m.end(), "link", m.group(0), m.group(0)) for m in _URL.finditer(text)]


def _without_overlaps(spans: Sequence[_Span]) -> list[_Span]:
    """The spans, in priority order, that overlap none kept before them; by position. Kept
    spans are disjoint, so only the two around a new one can overlap it (a check against
    every kept span was quadratic: seconds for a long text, at every keystroke)."""
    kept: list[_Span] = []  # by start
    starts: list[int] = []
    for span in spans:
        at = bisect.bisect_right(starts, span.start)
        if span.end <= span.start or (at and kept[at - 1].end > span.start) or (
                at < len(kept) and kept[at].start < span.end):
            continue
        kept.insert(at, span)
        starts.insert(at, span.start)
    return kept


def _mastodon_link(url: str) -> str:
    """Mastodon's formatter: no scheme or www., the first 30 characters, then an ellipsis."""
    shown = regex.sub(r"^https?://(www\.)?", "", url, flags=regex.IGNORECASE)
    return shown[:30] + "…" if len(shown) > 30 else shown


def _mastodon(text: str, caps: Capabilities) -> list[_Span]:
    spans = []
    for entity in mastodon_entities(text, caps.url_length or 23):
        whole = text[entity.start:entity.end]
        if entity.replacement.startswith("@"):
            spans.append(_Span(entity.start, entity.end, "mention", entity.replacement, whole))
        else:
            spans.append(_Span(entity.start, entity.end, "link", _mastodon_link(whole), whole))
    return _without_overlaps([*spans, *_tags(text)])


def _bluesky(text: str, caps: Capabilities) -> list[_Span]:
    from hubbub.networks.bluesky import facets  # the same detection the post is written with

    found = [*facets.find_links(text), *facets.find_mentions(text), *facets.find_tags(text)]
    return _without_overlaps([
        _Span(f.start, f.end, f.kind, text[f.start:f.end], f.value if f.kind == "link"
              else text[f.start:f.end]) for f in found
    ])


def _plain(text: str, caps: Capabilities) -> list[_Span]:
    return _without_overlaps([*_plain_links(text), *_tags(text)])


@dataclass(frozen=True)
class Style:
    find: Finder
    # Networks without a warning field post it as the text's first line.
    inline_warning: Callable[[str, str], str] | None
    card_note: str  # "{host}" is filled in; "" when the network shows no link card


STYLES: dict[str, Style] = {
    "mastodon": Style(_mastodon, None,
                      "Your server may add a preview card for {host} under the post."),
    "bluesky": Style(_bluesky, bluesky_text,
                     "A card for {host} (title, description and picture from the page) is "
                     "added when it is sent, as there is no image."),
    # X has no warning field: the connector sends it as the first line, as Bluesky's does.
    "x": Style(_plain, inline_warning,
               "X may show a card for {host} under the post, from the page's own tags."),
}
PLAIN = Style(_plain, None, "")


def style_for(caps: Capabilities) -> Style:
    return STYLES.get(caps.counting, PLAIN)


def segments(text: str, spans: Sequence[_Span]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    pos = 0
    for span in spans:
        if span.start > pos:
            out.append(Segment("text", text[pos:span.start]))
        out.append(Segment(span.kind, span.shown, span.full))
        pos = span.end
    if pos < len(text):
        out.append(Segment("text", text[pos:]))
    return tuple(out)


def _first_link_host(spans: Sequence[_Span]) -> str:
    for span in spans:
        if span.kind == "link":
            url = span.full if "://" in span.full else f"https://{span.full}"
            return urlsplit(url).hostname or ""
    return ""


def preview(connection: Connection, caps: Capabilities, drafts: Sequence[Draft],
            images: Sequence[PreviewImage], media_note: str = "",
            mention_notes: tuple[str, ...] = ()) -> TargetPreview:
    """The account's post (or thread) as its network will show it. `images` are the ones
    this account gets, in order (they go with the first post); `media_note` says what it
    goes without. A quote where the server cannot show one is shown as it goes: the quoted
    post's link after the words (quote_link.as_sent)."""
    style = style_for(caps)
    posts = []
    note = ""
    sent = [as_sent(draft, caps) for draft in drafts]
    quote_note = PREVIEW_NOTE if sent[:1] != list(drafts[:1]) else ""
    for number, draft in enumerate(sent, start=1):
        text, warning = draft.text, draft.content_warning.strip()
        if warning and style.inline_warning is not None:
            text, warning = style.inline_warning(text, warning), ""
        spans = style.find(text, caps)
        own_images = tuple(images) if number == 1 else ()
        host = "" if own_images or not style.card_note else _first_link_host(spans)
        if host and not note:
            note = style.card_note.format(host=host)
        posts.append(PreviewPost(segments=segments(text, spans), content_warning=warning,
                                 images=own_images, card_host=host, number=number,
                                 total=len(drafts)))
    return TargetPreview(connection=connection, posts=tuple(posts), card_note=note,
                         media_note=media_note, mention_notes=mention_notes,
                         quote_note=quote_note)
