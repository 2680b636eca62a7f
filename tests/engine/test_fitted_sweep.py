"""Fitted pictures (MEDIA_ROOT/fitted) are swept once nothing may send them again: a copy a
scheduled, retrying, sending or held delivery may still send stays, whatever its age."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from hubbub.connections.models import Connection
from hubbub.core.image_fit import FitLimits, cached_path
from hubbub.jobs import periodic
from hubbub.networks.image_fit import cache_dir, fitted
from hubbub.publishing.media import NewMedia, media_file
from hubbub.publishing.media_sweep import UNUSED_FOR, sweep_fitted
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.services import create_post

pytestmark = pytest.mark.django_db
SMALL = FitLimits(max_bytes=1_000_000, max_side=16)  # every test picture is made smaller
LONG_AGO = time.time() - 10 * UNUSED_FOR


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _png(colour: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return SimpleUploadedFile(f"{colour}.png", out.getvalue())


def _post_with_copy(owner: Any, connection: Connection, colour: str) -> tuple[Post, Path]:
    """A post due later with one picture, and the copy of it fitted for a network."""
    post = create_post(user=owner, text=colour, connections=[connection],
                       media=[NewMedia(_png(colour), colour)],
                       scheduled_for=timezone.now() + timedelta(hours=1))
    picture = post.media.get()
    assert not fitted(media_file(picture), SMALL, "the test network").as_is
    copy = cached_path(Path(picture.file.path).read_bytes(), SMALL, cache_dir())
    assert copy is not None
    os.utime(copy, (LONG_AGO, LONG_AGO))
    return post, copy


def _settle(post: Post, state: str) -> None:
    Delivery.objects.filter(post=post).update(state=state)


def test_a_copy_goes_when_every_delivery_is_settled(owner: Any, connection: Connection) -> None:
    waiting, kept = _post_with_copy(owner, connection, "red")
    sent, gone = _post_with_copy(owner, connection, "green")
    cancelled, also_gone = _post_with_copy(owner, connection, "blue")
    _settle(sent, DeliveryState.SENT)
    _settle(cancelled, DeliveryState.CANCELLED)
    swept = sweep_fitted()
    assert (swept.removed, swept.kept) == (2, 1)
    assert kept.exists()
    assert not gone.exists()
    assert not also_gone.exists()
    _settle(waiting, DeliveryState.FAILED)
    assert sweep_fitted().removed == 1
    assert not kept.exists()


@pytest.mark.parametrize("state", [DeliveryState.SCHEDULED, DeliveryState.SENDING,
                                   DeliveryState.UNKNOWN, DeliveryState.HELD])
def test_a_copy_that_may_still_be_sent_stays_however_old(owner: Any, connection: Connection,
                                                         state: str) -> None:
    post, copy = _post_with_copy(owner, connection, "red")
    Delivery.objects.filter(post=post).update(state=state, attempts=2,
                                              last_error="the server was busy")
    assert sweep_fitted(now=time.time() + 365 * 86400).removed == 0
    assert copy.exists()


def test_one_picture_in_two_posts_stays_while_either_may_send_it(
        owner: Any, connection: Connection) -> None:
    first, copy = _post_with_copy(owner, connection, "red")
    second, same = _post_with_copy(owner, connection, "red")  # the same bytes: one copy
    assert same == copy
    _settle(first, DeliveryState.SENT)
    assert sweep_fitted().removed == 0
    _settle(second, DeliveryState.SENT)
    assert sweep_fitted().removed == 1


def test_a_copy_used_lately_stays_until_unused_long_enough(owner: Any,
                                                          connection: Connection) -> None:
    post, copy = _post_with_copy(owner, connection, "red")
    _settle(post, DeliveryState.SENT)
    fitted(media_file(post.media.get()), SMALL, "the test network")  # a use renews its time
    assert sweep_fitted().removed == 0
    assert sweep_fitted(now=time.time() + UNUSED_FOR + 1).removed == 1
    assert not copy.exists()


def test_copies_of_pictures_no_post_has_go(owner: Any, connection: Connection) -> None:
    post, _ = _post_with_copy(owner, connection, "red")
    post.delete()
    stray = cache_dir() / ".abc-def-1x1.jpg.123.part"  # a write a crash left half done
    stray.write_bytes(b"x")
    os.utime(stray, (LONG_AGO, LONG_AGO))
    assert sweep_fitted().removed == 2
    assert list(cache_dir().iterdir()) == []


def test_nothing_to_sweep_without_the_folder() -> None:
    assert sweep_fitted().removed == 0


def test_the_sweep_is_a_periodic_job() -> None:
    assert "publishing.fitted_sweep" in periodic._jobs
