"""Images for Bluesky: fitted to its limits (core/image_fit.py: the server's blob size, a long side
of 2000 pixels, stills only), re-encoded without metadata when they come from elsewhere; and
link cards (title, description, image) read from a page's HTML. Pure except for file reads."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from hubbub.core.image_fit import JPEG, PNG, WEBP, CannotFit, FitLimits, FittedImage, fit_image
from hubbub.core.images import NotAnImage
from hubbub.core.video_limits import VideoLimits

# Lexicon app.bsky.embed.video: one MP4 blob of at most 100,000,000 bytes, alt text of at most
# 1000 graphemes, an aspect ratio; Bluesky's announced limits (March 2025): 3 minutes. A video
# goes alone: embed is one union, either images or a video.
VIDEO_LIMITS = VideoLimits(mime_types=("video/mp4",), max_bytes=100_000_000, max_seconds=180,
                           max_count=1, with_images=False, alt_text_max=1000)
# The Bluesky app never sends images larger than this on their long side.
MAX_EDGE = 2000
# What the hub sends as it is; a GIF goes as its first frame (Bluesky images do not move).
SENT_TYPES = (JPEG, PNG, WEBP)


class ImageError(ValueError):
    """The file is not an image we can send (unreadable, or cannot be made small enough)."""


def fit_limits(max_bytes: int) -> FitLimits:
    """Bluesky's limits for a picture: the server's blob size, a 2000-pixel long side, stills."""
    return FitLimits(max_bytes=max_bytes, max_side=MAX_EDGE, mime_types=SENT_TYPES,
                     motion=False)


def prepare_image(source: bytes | str | Path, max_bytes: int) -> FittedImage:
    """A picture from elsewhere (a link card's) fitted to Bluesky, always re-encoded: no
    metadata, its EXIF orientation applied, its long side at most MAX_EDGE, at most
    `max_bytes` (core/image_fit.py). A post's own pictures go through
    networks/image_fit.fitted, which sends a cleaned file as it is when it fits."""
    try:
        return fit_image(source if isinstance(source, bytes) else Path(source),
                         fit_limits(max_bytes), clean=True)
    except (CannotFit, NotAnImage) as exc:
        raise ImageError(str(exc)) from None


# --- link cards -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkCard:
    uri: str
    title: str
    description: str
    image_url: str = ""


class _MetaReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            name = (values.get("property") or values.get("name") or "").lower()
            if name and "content" in values:
                self.meta.setdefault(name, values["content"].strip())
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self.done = True  # cards come from <head>

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def card_from_html(uri: str, html: str) -> LinkCard | None:
    """Title, description and image from a page's <head> (Open Graph first, then <title> and
    the description meta); None when the page names nothing to show."""
    reader = _MetaReader()
    try:
        reader.feed(html)
        reader.close()
    except AssertionError:  # HTMLParser on badly broken markup
        pass
    meta = reader.meta
    title = meta.get("og:title") or meta.get("twitter:title") or " ".join(reader.title.split())
    description = (
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description")
        or ""
    )
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or ""
    if not title and not description:
        return None
    image_url = urljoin(uri, image) if image else ""
    if not image_url.startswith(("https://", "http://")):
        image_url = ""
    return LinkCard(uri=uri, title=title[:300], description=description[:1000], image_url=image_url)
