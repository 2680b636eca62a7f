"""Pictures fitted to one network's limits: the bytes to send, and what the composer says of them.

A picture the person attaches is kept as it came (cleaned of metadata by core.images); each
network gets either that file, when it already fits, or a copy made smaller: fewer pixels (to
the network's largest side and pixel count), then lower JPEG/WebP quality, then fewer pixels
again, until it is under the network's byte limit. The original stays for the networks it fits.

Two functions share one reckoning, so the size the composer shows is the size sent:

- `plan_fit(mime, size, width, height, limits)`: from what is known without the file (type,
  bytes, pixels), whether it goes as it is, or its picture size and type once fitted: within
  the pixel count and longest side, and for JPEG/WebP as many pixels as the byte limit holds
  at PLAN_BITS_PER_PIXEL. The bytes decide only whether it goes as it is. Pure.
- `fit_image(source, limits, cache_dir)`: the bytes, starting from the plan's picture size.
  Only a picture that does not reach the byte limit at the plan's size at the lowest quality
  is made smaller than planned.

Work is bounded: at most len(QUALITIES) encodings a size and MAX_ROUNDS sizes. Memory is
bounded: `core.images.open_image` refuses more than core.images.MAX_PIXELS from the header
(and Pillow's decompression guard stays on), and a large JPEG is decoded at 1/2, 1/4 or 1/8
of its size (`draft`) when that still leaves 1.5 times the fitted size (a 24-megapixel photo
fitted to Bluesky: 6 megapixels decoded, 18 MB, instead of 72 MB). Decoding and encoding take a
second or two for a large photo: never call this inside a database transaction.

An animated GIF is never flattened behind the person's back: a network that shows it moving
gets it as it is or not at all (CannotFit says why); a network that shows stills only
(`motion=False`) gets its first frame.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from hubbub.core.images import NotAnImage, open_image

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
GIF = "image/gif"
# What the fitter reads and can turn into something else.
READABLE = (JPEG, PNG, WEBP, GIF, "image/bmp", "image/tiff")
_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp"}
QUALITIES = (88, 80, 72, 64, 56)
MAX_ROUNDS = 6  # sizes tried after the plan's; each at most 0.85 of the one before
MIN_SIDE = 64
# A JPEG decoded at a reduced scale keeps at least this many times the planned size.
DRAFT_MARGIN = 1.5
# Lossy output is planned at this many bits a pixel (a detailed photo at the first quality),
# under this share of the limit.
PLAN_BITS_PER_PIXEL = 4.0
HEADROOM = 0.85
# Bump when the output for the same input and limits changes: cached copies are then redone.
VERSION = 1


@dataclass(frozen=True)
class FitLimits:
    """One network's limits for a picture."""

    max_bytes: int
    max_pixels: int | None = None
    max_side: int | None = None
    mime_types: tuple[str, ...] = (JPEG, PNG)  # what the network takes as it is
    motion: bool = True  # it shows an animated GIF moving (so one is never flattened)
    motion_max_bytes: int | None = None  # a moving GIF's own limit, when not max_bytes

    def key(self) -> str:
        text = repr((VERSION, self.max_bytes, self.max_pixels, self.max_side,
                     tuple(sorted(self.mime_types)), self.motion, self.motion_max_bytes))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FitPlan:
    as_is: bool
    width: int
    height: int
    mime_type: str
    max_bytes: int

    def describe(self) -> str:
        """For people: "as is", or "2048 x 1536 JPEG, at most 1.9 MB"."""
        if self.as_is:
            return "as is"
        kind = self.mime_type.removeprefix("image/").upper()
        return f"{self.width} x {self.height} {kind}, at most {megabytes(self.max_bytes)}"


@dataclass(frozen=True)
class FittedImage:
    data: bytes
    mime_type: str
    width: int
    height: int
    as_is: bool

    def describe(self) -> str:
        if self.as_is:
            return "as is"
        kind = self.mime_type.removeprefix("image/").upper()
        return f"{self.width} x {self.height} {kind}, {megabytes(len(self.data))}"


class CannotFit(ValueError):
    """The picture cannot be made to fit; the message says why, for people."""


def megabytes(size: int) -> str:
    """A size for people, in the networks' own megabytes (X's "5 MB" is 5 x 1024 x 1024
    bytes): "5.0 MB", "1.9 MB"; "200 bytes" where megabytes would say 0.0."""
    return f"{size / 1048576:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _scale_for(width: int, height: int, limits: FitLimits) -> float:
    """The largest scale (at most 1) within the network's pixel count and longest side."""
    scale = 1.0
    if limits.max_pixels and width * height > limits.max_pixels:
        scale = min(scale, math.sqrt(limits.max_pixels / (width * height)))
    if limits.max_side and max(width, height) > limits.max_side:
        scale = min(scale, limits.max_side / max(width, height))
    return scale


def _scaled(width: int, height: int, scale: float, limits: FitLimits) -> tuple[int, int]:
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    # Rounding down keeps within the side; shave a pixel if the product still exceeds.
    while limits.max_pixels and w * h > limits.max_pixels and w > 1 and h > 1:
        w, h = (w - 1, h) if w >= h else (w, h - 1)
    return w, h


def _output_type(mime: str, limits: FitLimits, alpha: bool | None) -> str:
    """The type a fitted copy is made in: the picture's own when the network takes it (a
    GIF's still as PNG), else JPEG, else PNG, else WebP. `alpha` (None: not known) keeps
    transparency in a type that carries it where the network takes one."""
    accepted = [t for t in (JPEG, PNG, WEBP) if t in limits.mime_types]
    if not accepted:
        raise CannotFit("the network takes none of JPEG, PNG or WebP")
    if alpha:
        for kind in (WEBP, PNG) if mime == WEBP else (PNG, WEBP):
            if kind in accepted:
                return kind
    if mime in accepted:
        return mime
    if mime == GIF and PNG in accepted:
        return PNG  # a drawing's colours kept exactly; a photo in it goes JPEG if PNG is big
    return accepted[0]


def plan_fit(mime: str, size: int, width: int, height: int, limits: FitLimits, *,
             animated: bool = False) -> FitPlan:
    """What the picture goes as on this network, from its type, bytes and pixels alone.
    Raises CannotFit for what no fitting can carry (a moving GIF too big, a type the fitter
    cannot read that the network does not take)."""
    pixels_ok = not limits.max_pixels or width * height <= limits.max_pixels
    side_ok = not limits.max_side or max(width, height) <= limits.max_side
    if animated and limits.motion:
        most = limits.motion_max_bytes or limits.max_bytes
        if mime in limits.mime_types and size <= most and pixels_ok and side_ok:
            return FitPlan(True, width, height, mime, most)
        over = (f"{megabytes(size)}, over the {megabytes(most)} it takes" if size > most
                else f"{width} x {height} pixels, more than it takes")
        raise CannotFit(f"a moving GIF of {over}; made smaller it would stop moving: attach "
                        "a smaller GIF, or leave it out for this account (Customize)")
    if mime in limits.mime_types and size <= limits.max_bytes and pixels_ok and side_ok:
        return FitPlan(True, width, height, mime, limits.max_bytes)
    if mime not in READABLE:
        raise CannotFit(f"{mime or 'this file type'} cannot be converted to a type the "
                        "network takes")
    out = _output_type(mime, limits, None)
    scale = _scale_for(width, height, limits)
    if out in (JPEG, WEBP) and width and height:
        # As many pixels as a detailed photo at the first quality fits in (PLAN_BITS_PER_PIXEL):
        # reckoned from the limit and the pixels alone, never the file's own bytes, so the
        # composer (which knows the file as picked) and the upload (which sends the copy the
        # hub stored) plan the same size. The quality steps absorb a photo up to about twice
        # as detailed; only past that is it made smaller than planned.
        held = HEADROOM * limits.max_bytes * 8 / PLAN_BITS_PER_PIXEL
        if width * height * scale * scale > held:
            scale = min(scale, math.sqrt(held / (width * height)))
    w, h = _scaled(width, height, scale, limits)
    return FitPlan(False, w, h, out, limits.max_bytes)


# --- the bytes --------------------------------------------------------------------------------


def _has_alpha(image: Image.Image) -> bool:
    """Whether any pixel is see-through (an RGBA picture that is opaque throughout is not)."""
    if image.mode in ("RGBA", "LA", "PA"):
        lowest = image.getchannel("A").getextrema()[0]
        return not isinstance(lowest, (int, float)) or lowest < 255
    return image.mode == "P" and "transparency" in image.info


def _encode(image: Image.Image, kind: str, quality: int, icc: bytes | None) -> bytes:
    """Encoded with no metadata but its colour profile: no EXIF, GPS, XMP or text chunks (a
    resized copy is a new image; `info` is not passed to the encoder)."""
    out = io.BytesIO()
    params: dict[str, object] = {"icc_profile": icc} if icc else {}
    if kind == JPEG:
        flat = image if image.mode in ("RGB", "L") else _flatten(image)
        flat.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **params)
    elif kind == WEBP:
        mode = "RGBA" if _has_alpha(image) else "RGB"
        ready = image if image.mode == mode else image.convert(mode)
        ready.save(out, "WEBP", quality=quality, method=4, **params)
    else:
        ready = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGBA")
        ready.save(out, "PNG", optimize=True, **params)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency laid on white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


# A fitted copy's name begins with this many hex digits of the original's SHA-256.
DIGEST_CHARS = 40


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:DIGEST_CHARS]


_CACHED = re.compile(r"^(?P<w>\d+)x(?P<h>\d+)\.(?P<ext>jpg|png|webp)$")


def cached_path(raw: bytes, limits: FitLimits, cache_dir: Path) -> Path | None:
    """A fitted copy made before for these bytes and limits, or None. Its time is renewed: a
    sweep of unused copies (publishing/media_sweep.py) reads it as the last use."""
    prefix = f"{_digest(raw)}-{limits.key()}-"
    try:
        names = [p for p in cache_dir.glob(prefix + "*") if _CACHED.match(p.name[len(prefix):])]
        if names:
            os.utime(names[0])
    except OSError:
        return None
    return names[0] if names else None


def _from_cache(path: Path, prefix_len: int) -> FittedImage | None:
    match = _CACHED.match(path.name[prefix_len:])
    if match is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    ext = match["ext"]
    mime = next(m for m, e in _EXTENSIONS.items() if e == ext)
    return FittedImage(data, mime, int(match["w"]), int(match["h"]), as_is=False)


def fit_image(source: bytes | str | Path, limits: FitLimits, cache_dir: Path | None = None, *,
              clean: bool = False) -> FittedImage:
    """The bytes to send to a network with these limits: the file itself when it fits, else a
    copy fitted as the module says. With `cache_dir`, a fitted copy is kept there, named by the
    file's content and the limits, and sent again as it is by every later call (a retry sends
    the same bytes). `clean`: re-encoded even when it fits, never cached (a picture from
    elsewhere that core.images did not clean: its metadata dropped, turned upright).
    Raises CannotFit (with a sentence) or NotAnImage."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    hit = cached_path(raw, limits, cache_dir) if cache_dir is not None and not clean else None
    if cache_dir is not None and hit is not None:
        found = _from_cache(hit, len(f"{_digest(raw)}-{limits.key()}-"))
        if found is not None:
            return found
    fitted = _fit(raw, limits, clean)
    if cache_dir is not None and not fitted.as_is and not clean:
        _store(raw, limits, cache_dir, fitted)
    return fitted


def _store(raw: bytes, limits: FitLimits, cache_dir: Path, fitted: FittedImage) -> None:
    name = (f"{_digest(raw)}-{limits.key()}-{fitted.width}x{fitted.height}."
            f"{_EXTENSIONS[fitted.mime_type]}")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache_dir / f".{name}.{os.getpid()}.part"
        partial.write_bytes(fitted.data)
        partial.replace(cache_dir / name)
    except OSError:
        pass  # a cache that cannot be written costs a second fitting, nothing else


def _fit(raw: bytes, limits: FitLimits, clean: bool) -> FittedImage:
    try:
        image = open_image(raw)  # refuses over MAX_PIXELS before decoding
    except NotAnImage:
        raise
    except Exception:  # Pillow raises many kinds for a file it cannot read
        raise NotAnImage("not a picture that can be read (damaged, or not a picture)") from None
    mime = Image.MIME.get(image.format or "", "")
    if image.format == "MPO":
        mime = JPEG
    animated = getattr(image, "n_frames", 1) > 1 and mime in (GIF, PNG, WEBP)
    width, height = image.size
    orientation = image.getexif().get(0x0112, 1) if mime in (JPEG, WEBP, PNG) else 1
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    plan = plan_fit(mime, len(raw), width, height, limits, animated=animated)
    if plan.as_is and orientation in (1, None) and not clean:
        return FittedImage(raw, mime, width, height, as_is=True)
    try:
        image.seek(0)
        if mime == JPEG and max(image.size) >= 2 * max(plan.width, plan.height):
            # Decoded at 1/2, 1/4 or 1/8 (JPEG scales in its own transform), still at least
            # DRAFT_MARGIN times the planned size so that resampling has pixels to smooth.
            w, h = (plan.height, plan.width) if orientation in (5, 6, 7, 8) else \
                (plan.width, plan.height)
            image.draft("RGB", (int(w * DRAFT_MARGIN), int(h * DRAFT_MARGIN)))
        image.load()
        if animated:
            image = image.convert("RGBA")  # the first frame alone (a network of stills)
        icc = image.info.get("icc_profile")
        ImageOps.exif_transpose(image, in_place=True)
    except NotAnImage:
        raise
    except Exception:
        raise NotAnImage("a damaged picture (it cannot be decoded)") from None
    alpha = _has_alpha(image)
    kind = _output_type(mime, limits, alpha)
    size = (plan.width, plan.height) if not plan.as_is else image.size
    for _round in range(MAX_ROUNDS + 1):
        frame = image if image.size == size else image.resize(
            size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        data = b""
        for quality in QUALITIES if kind in (JPEG, WEBP) else (0,):
            data = _encode(frame, kind, quality, icc)
            if len(data) <= limits.max_bytes:
                return FittedImage(data, kind, size[0], size[1], as_is=False)
        if kind == PNG and not alpha and JPEG in limits.mime_types:
            kind = JPEG  # a photo kept as PNG: lossy from here on, at the same size first
            continue
        ratio = math.sqrt(limits.max_bytes / max(len(data), 1))
        scale = min(0.85, max(0.5, ratio * 0.95))
        size = (max(1, int(size[0] * scale)), max(1, int(size[1] * scale)))
        if min(size) < MIN_SIDE:
            break
    raise CannotFit(f"it cannot be made smaller than {megabytes(limits.max_bytes)} "
                    "without losing too much of it")

