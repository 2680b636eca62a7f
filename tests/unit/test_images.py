from __future__ import annotations

import functools
import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

from hubbub.core.images import ImageTooLarge, NotAnImage, clean_image, open_image
from hubbub.imports import images as zip_images
from hubbub.imports.archive import MemberProblem


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


@functools.cache
def png_bomb(side: int = 13000) -> bytes:
    """A real, complete grey PNG of side x side black pixels: 169 megapixels (at 13000) that
    decode to 169 MB, in about 160 KB. Compressed row by row, never held whole."""
    packer = zlib.compressobj(9)
    row = bytes(1 + side)  # filter byte, then the row's pixels
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grey
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any decoding of pixels fails the test."""
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError(f"pixels decoded ({self.size})")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 20), (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 on display
    gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_metadata_and_gps_are_dropped_and_the_picture_turned_upright() -> None:
    raw = _jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as before:
        assert before.getexif().get(0x8825) is not None
    cleaned = clean_image(raw)
    assert cleaned.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(cleaned.data)) as after:
        assert dict(after.getexif()) == {}
        assert after.size == (20, 40)  # orientation applied, then forgotten
    assert (cleaned.width, cleaned.height) == (20, 40)


def test_the_real_type_wins_over_the_name() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (3, 3)).save(out, format="PNG")
    assert clean_image(out.getvalue()).mime_type == "image/png"


def test_not_an_image() -> None:
    with pytest.raises(NotAnImage):
        clean_image(b"<svg onload=alert(1)></svg>")


def test_what_is_wrong_is_said_in_words_people_read() -> None:
    with pytest.raises(NotAnImage) as refused:
        clean_image(b"not an image at all")
    assert str(refused.value) == "not an image: its bytes match no picture format"
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(out, format="PNG")
    with pytest.raises(NotAnImage) as damaged:
        clean_image(out.getvalue()[:60])  # cut inside the picture data
    assert str(damaged.value).startswith("a damaged image (")
    assert "0x" not in str(damaged.value)
    assert "object at" not in str(damaged.value)


def test_a_pixel_bomb_is_refused_from_its_header_before_decoding(no_decoding: None) -> None:
    bomb = png_bomb()
    assert len(bomb) < 300_000
    with pytest.raises(ImageTooLarge) as refused:
        clean_image(bomb)
    assert str(refused.value) == (
        "it is 13,000 by 13,000 pixels (169 megapixels); at most 40 megapixels are accepted")


def test_beyond_pillows_own_ceiling_the_sentence_still_names_the_limit(no_decoding: None) -> None:
    with pytest.raises(ImageTooLarge, match=r"over \d+ megapixels; at most 40 megapixels"):
        clean_image(png_bomb(20000))


def test_an_image_at_the_limit_is_still_taken() -> None:
    out = io.BytesIO()
    Image.new("L", (8000, 5000)).save(out, format="PNG")  # exactly 40 megapixels
    cleaned = clean_image(out.getvalue())
    assert (cleaned.width, cleaned.height) == (8000, 5000)


def test_a_50_megapixel_jpeg_photo_is_taken_and_a_larger_one_refused_in_words(
        no_decoding: None) -> None:
    """A colour JPEG decodes to 3 bytes a pixel: a phone's 50-megapixel photo fits the same
    memory as a 40-megapixel PNG (4 bytes). Judged from the header alone."""
    photo = io.BytesIO()
    Image.new("RGB", (8660, 5773), "teal").save(photo, "JPEG")  # 50.0 megapixels
    with open_image(photo.getvalue()) as image:
        assert image.size == (8660, 5773)
    larger = io.BytesIO()
    Image.new("RGB", (9000, 6000), "teal").save(larger, "JPEG")  # 54 megapixels
    with pytest.raises(ImageTooLarge) as refused:
        open_image(larger.getvalue())
    assert str(refused.value) == ("it is 9,000 by 6,000 pixels (54 megapixels); at most 52 "
                                  "megapixels are accepted for a JPEG photo")
    png = io.BytesIO()
    Image.new("RGB", (8660, 5773), "teal").save(png, "PNG")  # the same pixels as a PNG
    with pytest.raises(ImageTooLarge, match=r"at most 40 megapixels are accepted$"):
        open_image(png.getvalue())


def test_the_zip_check_refuses_a_bomb_in_one_sentence_without_decoding(no_decoding: None) -> None:
    with pytest.raises(MemberProblem) as refused:
        zip_images.inspect("photos/bomb.png", png_bomb())
    assert str(refused.value) == ("photos/bomb.png: it is 13,000 by 13,000 pixels (169 "
                                  "megapixels); at most 40 megapixels are accepted.")
