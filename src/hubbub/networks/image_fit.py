"""Pictures fitted to a network before upload, for every connector: core/image_fit.py does the
work; this names the cache (MEDIA_ROOT/fitted, so Threads and Instagram can serve a fitted copy
by address like any other file of the hub) and turns a picture that cannot be fitted into a
Rejected in words. It also holds the composer's check of pictures against limits they are
fitted to: only what no fitting can carry is a problem."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from hubbub.core.image_fit import (
    GIF,
    CannotFit,
    FitLimits,
    FittedImage,
    cached_path,
    fit_image,
    plan_fit,
)
from hubbub.core.images import NotAnImage
from hubbub.networks.base import MediaFile, Problem
from hubbub.networks.errors import Rejected

FOLDER = "fitted"


def cache_dir() -> Path:
    return Path(settings.MEDIA_ROOT).resolve() / FOLDER


def fitted(media: MediaFile, limits: FitLimits, network: str) -> FittedImage:
    """The bytes of `media` to send to `network` (the file itself when it fits). Kept in the
    cache, so a retry sends the same bytes. Rejected, in words, when it cannot be fitted."""
    name = Path(media.path).name or "The picture"
    try:
        return fit_image(Path(media.path), limits, cache_dir())
    except OSError as exc:
        raise Rejected(f"{name} cannot be read: {exc.strerror}") from None
    except (CannotFit, NotAnImage) as exc:
        raise Rejected(f"{name} cannot be sent to {network}: {exc}") from None


def fitted_file(media: MediaFile, limits: FitLimits, network: str) -> Path:
    """Where the bytes of `fitted` are as a file: the original, or the cached fitted copy."""
    result = fitted(media, limits, network)
    if result.as_is:
        return Path(media.path)
    found = cached_path(Path(media.path).read_bytes(), limits, cache_dir())
    if found is None:
        raise Rejected(f"The picture fitted for {network} could not be kept on the hub")
    return found


def fit_problems(label: str, item: MediaFile, limits: FitLimits, network: str) -> list[Problem]:
    """What keeps one picture from going to this network once fitted, as the composer says it
    (no file read: a GIF is taken to move). Size and pixels alone are never a problem."""
    try:
        plan_fit(item.mime_type, item.size, item.width, item.height, limits,
                 animated=item.mime_type == GIF)
    except CannotFit as exc:
        return [Problem("media_size" if item.mime_type == GIF else "media_type",
                        f"{label} cannot go to {network}: {exc}")]
    return []


def fit_description(item: MediaFile, limits: FitLimits) -> str:
    """What the picture goes as ("as is", "2048 x 1536 JPEG, at most 1.9 MB"); "" for a video
    or one that cannot go."""
    if item.is_video:
        return ""
    try:
        return plan_fit(item.mime_type, item.size, item.width, item.height, limits,
                        animated=item.mime_type == GIF).describe()
    except CannotFit:
        return ""
