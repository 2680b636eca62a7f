"""Images for Bluesky: re-encoded without metadata (EXIF, GPS), downscaled to the size limit; and
link cards (title, description, image) read from a page's HTML. Pure except for file reads."""

from __future__ import annotations

import io
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from PIL import Image, ImageOps

from hubbub.core.images import ImageTooLarge, open_image
from hubbub.core.video_limits import VideoLimits

# Lexicon app.bsky.embed.video: one MP4 blob of at most 100,000,000 bytes, alt text of at most
# 1000 graphemes, an aspect ratio; Bluesky's announced limits (March 2025): 3 minutes. A video
# goes alone: embed is one union, either images or a video.
VIDEO_LIMITS = VideoLimits(mime_types=("video/mp4",), max_bytes=100_000_000, max_seconds=180,
                           max_count=1, with_images=False, alt_text_max=1000)
# The Bluesky app never sends images larger than this on their long side.
MAX_EDGE = 2000
_JPEG_QUALITIES = (90, 80, 70, 60)
_SCALE_STEP = 0.8
_MIN_EDGE = 64


class ImageError(ValueError):
    """The file is not an image we can send (unreadable, or cannot be made small enough)."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime_type: str
    width: int
    height: int


def prepare_image(source: bytes | str | Path, max_bytes: int) -> PreparedImage:
    """The image re-encoded with no metadata, its EXIF orientation applied, its long side at
    most MAX_EDGE, and at most `max_bytes`: PNG stays PNG when that fits (transparency, line
    art), anything else is JPEG, with lower quality and then fewer pixels until it fits.
    Animated images keep their first frame (Bluesky images do not move)."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        # Refused over core.images.MAX_PIXELS before decoding. A large JPEG is decoded at a
        # 1/2, 1/4 or 1/8 scale that keeps at least twice the final size (for the resampling),
        # and everything happens in place (the bytes are in memory, there is no file to
        # close): copies would double or triple what a large image holds.
        image = open_image(raw)
        image.seek(0)
        source_format = image.format or ""
        factor = 2 * MAX_EDGE / max(*image.size, 1)
        if factor < 1:
            image.draft(None, (int(image.width * factor), int(image.height * factor)))
        image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
        ImageOps.exif_transpose(image, in_place=True)
        image.load()  # a small image was not decoded yet: a damaged one fails here
    except ImageTooLarge as exc:
        raise ImageError(str(exc)) from None
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise ImageError(f"not an image we can read ({exc})") from None
    keep_png = source_format == "PNG" or _has_alpha(image)
    while True:
        if keep_png:
            data = _encode(image, "PNG")
            if len(data) <= max_bytes:
                return PreparedImage(data, "image/png", image.width, image.height)
        flat = _flatten(image)
        for quality in _JPEG_QUALITIES:
            data = _encode(flat, "JPEG", quality=quality)
            if len(data) <= max_bytes:
                return PreparedImage(data, "image/jpeg", image.width, image.height)
        if min(image.size) <= _MIN_EDGE:
            raise ImageError(f"cannot be made smaller than {max_bytes:,} bytes")
        size = (max(1, int(image.width * _SCALE_STEP)), max(1, int(image.height * _SCALE_STEP)))
        image = image.resize(size, Image.Resampling.LANCZOS)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency over white."""
    if image.mode == "RGB":
        return image
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str, **options: int) -> bytes:
    """Encode without metadata: a fresh image carries no EXIF, ICC or text chunks."""
    out = io.BytesIO()
    if fmt == "PNG":
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA", "P") else "RGBA"
        clean = image.convert(mode) if mode != image.mode else image
        if clean.mode == "P":
            clean = clean.convert("RGBA")
        bare = Image.new(clean.mode, clean.size)
        bare.paste(clean)
        bare.save(out, "PNG", optimize=True)
    else:
        bare = Image.new(image.mode, image.size)
        bare.paste(image)
        bare.save(out, "JPEG", optimize=True, progressive=True, **options)
    return out.getvalue()


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
