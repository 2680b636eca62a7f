"""core/image_fit.py: a picture fitted to a network's limits (bytes, pixels, longest side,
types), the original kept when it fits; orientation, metadata, transparency, moving GIFs;
pixel bombs refused before decoding; bounded work; the plan the composer shows is the size
sent; a fitted copy cached so a retry sends the same bytes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile

from hubbub.core import image_fit
from hubbub.core.image_fit import (
    GIF,
    JPEG,
    PNG,
    WEBP,
    CannotFit,
    FitLimits,
    fit_image,
    plan_fit,
)
from hubbub.core.images import ImageTooLarge, NotAnImage
from tests.photos import big_photo, noisy
from tests.unit.test_images import no_decoding, png_bomb  # noqa: F401 (a fixture)

GPS_TAG = 0x8825
ORIENTATION_TAG = 0x0112

MASTODON = FitLimits(max_bytes=16 * 1024 * 1024, max_pixels=33_177_600,
                     mime_types=(JPEG, PNG, WEBP, GIF))
BLUESKY = FitLimits(max_bytes=2_000_000, max_side=2000, mime_types=(JPEG, PNG, WEBP),
                    motion=False)
X = FitLimits(max_bytes=5 * 1024 * 1024, mime_types=(JPEG, PNG, WEBP, GIF),
              motion_max_bytes=15 * 1024 * 1024)
INSTAGRAM = FitLimits(max_bytes=8 * 1024 * 1024, mime_types=(JPEG,), motion=False)


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# --- sizes ------------------------------------------------------------------------------------


def test_a_picture_that_fits_goes_as_it_is() -> None:
    raw = encoded(noisy(300, 200), "JPEG", quality=90)
    fitted = fit_image(raw, MASTODON)
    assert fitted.as_is
    assert fitted.data is raw or fitted.data == raw
    assert (fitted.mime_type, fitted.width, fitted.height) == (JPEG, 300, 200)
    assert plan_fit(JPEG, len(raw), 300, 200, MASTODON).describe() == "as is"


@pytest.mark.parametrize("limits", [MASTODON, BLUESKY, X, INSTAGRAM],
                         ids=["mastodon", "bluesky", "x", "instagram"])
def test_a_20_mb_photo_is_fitted_to_each_network_at_the_size_the_plan_said(
        limits: FitLimits) -> None:
    raw = big_photo()
    assert len(raw) > 20_000_000
    plan = plan_fit(JPEG, len(raw), 6000, 4000, limits)
    fitted = fit_image(raw, limits)
    assert len(fitted.data) <= limits.max_bytes
    result = opened(fitted.data)
    assert result.format == "JPEG"
    assert result.size == (fitted.width, fitted.height) == (plan.width, plan.height)
    assert not plan.as_is
    assert fitted.width / fitted.height == pytest.approx(1.5, rel=0.01)
    if limits.max_pixels:
        assert fitted.width * fitted.height <= limits.max_pixels
    if limits.max_side:
        assert max(fitted.width, fitted.height) <= limits.max_side


def test_pixels_and_the_longest_side_are_limits_of_their_own() -> None:
    raw = encoded(Image.new("RGB", (5000, 1000), (9, 9, 9)), "PNG")
    by_side = fit_image(raw, FitLimits(max_bytes=10**8, max_side=2000))
    assert (by_side.width, by_side.height) == (2000, 400)
    by_pixels = fit_image(raw, FitLimits(max_bytes=10**8, max_pixels=1_000_000))
    assert by_pixels.width * by_pixels.height <= 1_000_000
    assert by_pixels.width / by_pixels.height == pytest.approx(5, rel=0.01)
    assert by_pixels.mime_type == PNG  # a PNG the network takes stays PNG


# --- types ------------------------------------------------------------------------------------


def test_a_type_the_network_does_not_take_is_converted() -> None:
    webp = encoded(noisy(200, 100), "WEBP")
    fitted = fit_image(webp, INSTAGRAM)
    assert fitted.mime_type == JPEG
    assert opened(fitted.data).format == "JPEG"
    assert plan_fit(WEBP, len(webp), 200, 100, INSTAGRAM).mime_type == JPEG


def test_a_photo_saved_as_png_goes_jpeg_when_png_cannot_fit() -> None:
    raw = encoded(noisy(1600, 1200), "PNG")
    assert len(raw) > 5_000_000
    fitted = fit_image(raw, BLUESKY)
    assert fitted.mime_type == JPEG
    assert len(fitted.data) <= BLUESKY.max_bytes
    assert (fitted.width, fitted.height) == (1600, 1200)  # quality first, then pixels


def test_what_cannot_be_converted_is_said() -> None:
    with pytest.raises(CannotFit, match="image/heic cannot be converted"):
        plan_fit("image/heic", 10**8, 4000, 3000, MASTODON)
    with pytest.raises(CannotFit, match="none of JPEG, PNG or WebP"):
        plan_fit(PNG, 10**8, 4000, 3000, FitLimits(max_bytes=10, mime_types=("image/bmp",)))


def test_a_damaged_file_is_not_a_picture() -> None:
    raw = encoded(noisy(400, 300), "JPEG")
    with pytest.raises(NotAnImage):
        fit_image(raw[:2000], FitLimits(max_bytes=1000, mime_types=(JPEG,)))
    with pytest.raises(NotAnImage):
        fit_image(b"%PDF-1.7 not a picture", MASTODON)


# --- orientation, metadata, transparency --------------------------------------------------------


def test_orientation_applied_and_metadata_dropped() -> None:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "CameraMaker"
    exif[GPS_TAG] = {2: (48.0, 51.0, 24.0)}
    raw = encoded(noisy(3000, 2000, grain=2), "JPEG", exif=exif, quality=95)
    fitted = fit_image(raw, BLUESKY)
    result = opened(fitted.data)
    assert result.size == (fitted.width, fitted.height)
    assert fitted.height > fitted.width  # upright: 2000 wide became the height
    assert max(result.size) <= 2000
    assert dict(result.getexif()) == {}
    assert b"CameraMaker" not in fitted.data
    plan = plan_fit(JPEG, len(raw), 2000, 3000, BLUESKY)
    assert (plan.width, plan.height) == (fitted.width, fitted.height)


def test_a_sideways_picture_that_fits_is_still_turned_upright() -> None:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 8
    raw = encoded(Image.new("RGB", (60, 20), "teal"), "JPEG", exif=exif)
    fitted = fit_image(raw, MASTODON)
    assert not fitted.as_is
    assert opened(fitted.data).size == (20, 60)


def test_transparency_is_kept_where_the_type_carries_it() -> None:
    image = noisy(1400, 1000, mode="RGBA")
    raw = encoded(image, "PNG")
    as_png = fit_image(raw, FitLimits(max_bytes=1_000_000, mime_types=(JPEG, PNG)))
    assert as_png.mime_type == PNG
    assert opened(as_png.data).mode == "RGBA"
    assert len(as_png.data) <= 1_000_000
    as_webp = fit_image(raw, FitLimits(max_bytes=1_000_000, mime_types=(JPEG, WEBP)))
    assert as_webp.mime_type == WEBP
    assert opened(as_webp.data).mode == "RGBA"
    flat = fit_image(raw, INSTAGRAM)  # JPEG only: laid on white
    assert flat.mime_type == JPEG


# --- moving GIFs ------------------------------------------------------------------------------


def _moving_gif(side: int, frames: int = 3) -> bytes:
    pictures = [noisy(side, side).convert("P") for _ in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=100)
    return out.getvalue()


def test_a_moving_gif_too_big_is_refused_not_flattened() -> None:
    raw = _moving_gif(400)
    small_limit = FitLimits(max_bytes=len(raw) // 2, mime_types=(JPEG, PNG, GIF))
    with pytest.raises(CannotFit, match=r"moving GIF .* stop moving"):
        fit_image(raw, small_limit)
    assert fit_image(raw, FitLimits(max_bytes=len(raw), mime_types=(JPEG, PNG, GIF))).as_is
    # Its own limit where the network has one (X: 15 MB for a GIF, 5 MB for a picture).
    assert fit_image(raw, FitLimits(max_bytes=len(raw) // 2, mime_types=(GIF,),
                                    motion_max_bytes=len(raw))).as_is


def test_a_network_of_stills_gets_a_moving_gifs_first_frame() -> None:
    fitted = fit_image(_moving_gif(64), BLUESKY)
    assert fitted.mime_type == PNG
    assert getattr(opened(fitted.data), "n_frames", 1) == 1


# --- bombs and bounded work ---------------------------------------------------------------------


@pytest.mark.usefixtures("no_decoding")
def test_a_pixel_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLarge, match="13,000 by 13,000 pixels"):
        fit_image(png_bomb(), BLUESKY)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        decoded.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    fitted = fit_image(big_photo(), BLUESKY)
    assert max(fitted.width, fitted.height) <= 2000
    # 24 megapixels decoded at a half (3000 x 2000: 18 MB of pixels), not in full (72 MB).
    assert max(decoded) == (3000, 2000)


def test_a_50_megapixel_photo_is_fitted_decoding_a_quarter_of_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    raw = encoded(noisy(8660, 5773, grain=8), "JPEG", quality=90)  # a 48-50 MP phone's photo
    decoded: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        decoded.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    fitted = fit_image(raw, BLUESKY)
    assert (fitted.width, fitted.height) == (2000, 1333)
    assert len(fitted.data) <= BLUESKY.max_bytes
    # Decoded at a half (4330 x 2887: 37 MB of pixels), not the 150 MB of the whole.
    assert max(decoded) == (4330, 2887)


def test_the_work_is_bounded_and_ends_in_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = image_fit._encode

    def counting(*args: Any) -> bytes:
        nonlocal calls
        calls += 1
        return real(*args)

    monkeypatch.setattr(image_fit, "_encode", counting)
    raw = encoded(noisy(800, 600), "PNG")
    with pytest.raises(CannotFit, match="cannot be made smaller than 200 bytes"):
        fit_image(raw, FitLimits(max_bytes=200, mime_types=(JPEG, PNG)))
    most = (image_fit.MAX_ROUNDS + 1) * len(image_fit.QUALITIES)
    assert 0 < calls <= most


# --- the cache --------------------------------------------------------------------------------


def test_a_fitted_copy_is_kept_and_sent_again_as_it_is(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    raw = encoded(noisy(1200, 900), "PNG")
    first = fit_image(raw, BLUESKY, tmp_path)
    assert not first.as_is
    kept = list(tmp_path.iterdir())
    assert len(kept) == 1
    assert kept[0].name.endswith(f"-{first.width}x{first.height}.jpg")

    def refuse(*args: Any) -> Any:
        raise AssertionError("fitted again")

    monkeypatch.setattr(image_fit, "_fit", refuse)
    again = fit_image(raw, BLUESKY, tmp_path)
    assert again == first
    # Other limits are another copy (made, not found).
    monkeypatch.undo()
    other = fit_image(raw, FitLimits(max_bytes=300_000, mime_types=(JPEG,)), tmp_path)
    assert len(other.data) <= 300_000
    assert len(list(tmp_path.iterdir())) == 2
