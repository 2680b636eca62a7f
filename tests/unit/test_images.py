from __future__ import annotations

import io

import pytest
from PIL import Image

from hubbub.core.images import NotAnImage, clean_image


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
