"""networks/bluesky/media.py: images re-encoded without metadata, oriented, downscaled to the
limit; link cards read from a page's head."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from hubbub.networks.bluesky.media import ImageError, card_from_html, prepare_image

GPS_TAG = 0x8825
ORIENTATION_TAG = 0x0112


def noisy(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Random pixels: they do not compress, so file size tracks pixel count."""
    channels = len(mode)
    return Image.frombytes(mode, (width, height), os.urandom(width * height * channels))


def jpeg_with_exif(width: int = 300, height: int = 200, orientation: int = 1) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    exif[0x010F] = "CameraMaker"
    exif[GPS_TAG] = {2: (48.0, 51.0, 24.0)}  # GPSLatitude: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_exif_is_stripped_and_its_orientation_applied() -> None:
    raw = jpeg_with_exif(300, 200, orientation=6)  # "rotate 90° clockwise to display"
    assert opened(raw).getexif().get(GPS_TAG) is not None
    prepared = prepare_image(raw, 2_000_000)
    result = opened(prepared.data)
    assert prepared.mime_type == "image/jpeg"
    assert dict(result.getexif()) == {}
    assert b"CameraMaker" not in prepared.data
    assert (prepared.width, prepared.height) == result.size == (200, 300)  # upright now


def test_small_images_keep_their_size() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG")
    prepared = prepare_image(out.getvalue(), 2_000_000)
    assert (prepared.mime_type, prepared.width, prepared.height) == ("image/png", 8, 8)


def test_over_the_limit_is_downscaled_until_it_fits(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    noisy(1600, 1200).save(path)
    assert path.stat().st_size > 5_000_000
    prepared = prepare_image(str(path), 2_000_000)
    assert len(prepared.data) <= 2_000_000
    assert prepared.mime_type == "image/jpeg"  # opaque: JPEG fits where PNG cannot
    assert opened(prepared.data).size == (prepared.width, prepared.height)
    smaller = prepare_image(str(path), 300_000)
    assert len(smaller.data) <= 300_000
    assert smaller.width < prepared.width or len(smaller.data) < len(prepared.data)
    assert smaller.width / smaller.height == pytest.approx(4 / 3, rel=0.01)


def test_the_long_side_is_at_most_2000_pixels() -> None:
    out = io.BytesIO()
    Image.new("RGB", (5000, 1000), (9, 9, 9)).save(out, "PNG")
    prepared = prepare_image(out.getvalue(), 2_000_000)
    assert (prepared.width, prepared.height) == (2000, 400)


def test_transparency_stays_png_when_it_fits() -> None:
    out = io.BytesIO()
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.putpixel((1, 1), (255, 0, 0, 128))
    image.save(out, "PNG")
    prepared = prepare_image(out.getvalue(), 2_000_000)
    assert prepared.mime_type == "image/png"
    assert opened(prepared.data).mode == "RGBA"


def test_an_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("P", (20, 20), color) for color in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    prepared = prepare_image(out.getvalue(), 2_000_000)
    assert getattr(opened(prepared.data), "n_frames", 1) == 1


def test_not_an_image() -> None:
    with pytest.raises(ImageError):
        prepare_image(b"%PDF-1.7 not an image", 2_000_000)


# --- link cards -------------------------------------------------------------------------------


def test_open_graph_first() -> None:
    html = """<!doctype html><html><head>
      <title>Fallback title</title>
      <meta name="description" content="Fallback description">
      <meta property="og:title" content="The &amp; Title">
      <meta property="og:description" content="What it is">
      <meta property="og:image" content="/img/card.png">
    </head><body><meta property="og:title" content="in the body: ignored"></body></html>"""
    card = card_from_html("https://example.com/page", html)
    assert card is not None
    assert (card.title, card.description) == ("The & Title", "What it is")
    assert card.image_url == "https://example.com/img/card.png"


def test_title_and_description_without_open_graph() -> None:
    html = "<html><head><title>\n  Just a   title </title>" \
           "<meta name=description content='Plain'></head></html>"
    card = card_from_html("https://example.com/", html)
    assert card is not None
    assert (card.title, card.description, card.image_url) == ("Just a title", "Plain", "")


def test_nothing_to_show_is_no_card() -> None:
    assert card_from_html("https://example.com/", "<html><body>hi</body></html>") is None
    image_only = '<head><meta property="og:image" content="javascript:alert(1)"><title>t</title>'
    card = card_from_html("https://example.com/", image_only)
    assert card is not None
    assert card.image_url == ""
