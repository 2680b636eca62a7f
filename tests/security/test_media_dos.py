"""Hostile images: a pixel bomb is refused from its header in a sentence, by every door an image
comes in by; and reading an image (seconds for a large one) never holds SQLite's write lock, so
other people's requests and the worker go on meanwhile."""

from __future__ import annotations

import io
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageFile

from hubbub.connections.models import Connection
from hubbub.core.images import CleanImage, clean_image
from hubbub.imports import csv_import
from hubbub.imports.models import CsvImport
from hubbub.networks import registry
from hubbub.networks.base import MediaFile
from hubbub.networks.bluesky import media as bluesky_media
from hubbub.networks.bluesky import records
from hubbub.networks.bluesky.media import ImageError, prepare_image
from hubbub.networks.errors import Rejected
from hubbub.planning import services as planning
from hubbub.publishing import engine, media, services
from hubbub.publishing.models import DeliveryState, Post, PostMedia
from tests.imports.conftest import csv_bytes, make_zip
from tests.unit.test_images import no_decoding, png_bomb  # noqa: F401 (a fixture)
from tests.web.conftest import PASSWORD, fake_network, make_connection  # noqa: F401 (autouse)
from tests.web.fakes_composer import autosave, compose, png

# A safety net only, so that a server that never answers fails the test instead of hanging it;
# nothing here waits on time: every wait is for an event.
NEVER = 120.0
BOMB_SAYS = ("bomb.png is too large: it is 13,000 by 13,000 pixels (169 megapixels); at most "
             "40 megapixels are accepted.")


def _bomb() -> SimpleUploadedFile:
    return SimpleUploadedFile("bomb.png", png_bomb(), "image/png")


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password=PASSWORD)


@pytest.fixture
def mine(owner: User) -> Connection:
    return make_connection(owner, "@owner@fake.example")


@pytest.fixture
def signed_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


# --- a pixel bomb is refused, at every door, before decoding -----------------------------------


@pytest.mark.usefixtures("no_decoding")
def test_the_composer_refuses_a_pixel_bomb_in_a_sentence(signed_in: Client,
                                                         mine: Connection) -> None:
    page = compose(signed_in, text="look", targets=[mine.pk], image_1=_bomb(), alt_1="big")
    assert page.status_code == 400  # the form again, with what was typed and why not
    assert BOMB_SAYS in page.content.decode()
    saved = autosave(signed_in, text="look", targets=[mine.pk], image_1=_bomb(), alt_1="big")
    assert (saved.status_code, saved.json()) == (400, {"error": BOMB_SAYS})
    assert not Post.objects.exists()


@pytest.mark.usefixtures("no_decoding")
def test_the_csv_import_refuses_a_pixel_bomb_on_its_row(owner: User, mine: Connection) -> None:
    data = csv_bytes(["look", "2099-06-01 09:00", mine.handle, "", "bomb.png", "big"])
    zipped = SimpleUploadedFile("images.zip", make_zip({"bomb.png": png_bomb()}))
    batch = csv_import.start_import(user=owner, filename="plan.csv", data=data,
                                    zip_upload=zipped, zone="UTC")
    assert [(p["row"], p["column"], p["message"]) for p in batch.problems] == [
        (2, "images", "bomb.png: it is 13,000 by 13,000 pixels (169 megapixels); at most 40 "
                      "megapixels are accepted.")]


@pytest.mark.usefixtures("no_decoding")
def test_the_workers_downscale_refuses_a_pixel_bomb(tmp_path: Any) -> None:
    with pytest.raises(ImageError) as refused:
        prepare_image(png_bomb(), 1_000_000)
    assert str(refused.value).startswith("it is 13,000 by 13,000 pixels")
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb())
    with pytest.raises(Rejected, match=r"^bomb\.png cannot be sent to Bluesky: it is 13,000 by "
                       r"13,000 pixels"):
        records.upload_image(api=None, media=MediaFile(str(path), "image/png"),  # type: ignore[arg-type]
                             max_bytes=1_000_000)


def test_the_workers_downscale_decodes_a_large_jpeg_at_a_reduced_scale(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bluesky_media, "MAX_EDGE", 200)  # so the test's image can be small
    decoded: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        decoded.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), "teal").save(buffer, "JPEG")
    prepared = bluesky_media.prepare_image(buffer.getvalue(), 1_000_000)
    assert (prepared.width, prepared.height) == (200, 150)
    # Decoded at a quarter (at least 1.5 times the final size), never the 1.9 megapixels.
    assert decoded
    assert max(decoded) == (400, 300)


# --- decoding holds no transaction -------------------------------------------------------------


@dataclass
class Gate:
    """Stops the upload inside its decoding step until the test lets it go on."""

    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def decode_gate(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    gate = Gate()
    real = clean_image

    def held(data: bytes) -> CleanImage:
        gate.entered.set()
        gate.release.wait(NEVER)
        return real(data)

    monkeypatch.setattr(media, "clean_image", held)
    yield gate
    gate.release.set()  # before the database is flushed, whatever the test's outcome


def _write_lock_is_free() -> bool:
    """Can a writer start a transaction right now? Asked without waiting (busy timeout 0)."""
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    else:
        probe.execute("ROLLBACK")
        return True
    finally:
        probe.close()


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _large_png() -> SimpleUploadedFile:
    return png("large.png", size=(3000, 2000))


@pytest.mark.parametrize("door", ["post now", "first autosave", "autosave of a draft", "queue",
                                  "csv import"])
def test_no_write_lock_is_held_while_an_image_is_decoded(door: str, decode_gate: Gate,
                                                         owner: User, mine: Connection) -> None:
    client = Client()
    client.force_login(owner)
    if door == "post now":
        thread, outcome = _in_thread(lambda: compose(
            client, text="big picture", targets=[mine.pk], image_1=_large_png(), alt_1="a"))
    elif door == "first autosave":
        thread, outcome = _in_thread(lambda: autosave(
            client, text="big picture", targets=[mine.pk], image_1=_large_png(), alt_1="a"))
    elif door == "autosave of a draft":
        draft = autosave(client, text="words first", targets=[mine.pk]).json()["draft"]
        thread, outcome = _in_thread(lambda: autosave(
            client, text="big picture", targets=[mine.pk], draft=draft, image_1=_large_png(),
            alt_1="a"))
    elif door == "queue":
        queue = planning.create_queue(owner, name="Mornings", tz="UTC", connections=[mine],
                                      slots=[(d, time(9)) for d in range(7)])
        thread, outcome = _in_thread(lambda: client.post(reverse("publishing:compose"), {
            "action": "queue", "queue": queue.pk, "targets": [mine.pk], "text": "big picture",
            "image_1": _large_png(), "alt_1": "a"}))
    else:
        data = csv_bytes(["big picture", "2099-06-01 09:00", mine.handle, "", "large.png", "a"])
        zipped = SimpleUploadedFile("images.zip", make_zip({"large.png": _large_png().read()}))
        batch = csv_import.start_import(user=owner, filename="plan.csv", data=data,
                                        zip_upload=zipped, zone="UTC")
        assert batch.problems == []
        thread, outcome = _in_thread(lambda: csv_import.run_import(
            CsvImport.objects.get(pk=batch.pk)))
    assert decode_gate.entered.wait(NEVER), outcome.get("error")
    # The upload is inside its decoding step now: a writer can begin at once...
    assert _write_lock_is_free()
    # ... and another person's request that writes is answered.
    other = User.objects.create_user("mallory", password=PASSWORD)
    theirs = make_connection(other, "@mallory@fake.example", remote_id="43")
    visitor = Client()
    visitor.force_login(other)
    meanwhile = autosave(visitor, text="meanwhile", targets=[theirs.pk])
    assert meanwhile.status_code == 200
    assert Post.objects.filter(user=other, text="meanwhile").exists()
    decode_gate.release.set()
    thread.join(NEVER)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    # The upload's post is saved, its image with it.
    assert PostMedia.objects.filter(post__user=owner, alt_text="a").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_uploads_media_outside_any_transaction(
        owner: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """A guard: the engine's media upload (where Bluesky downscales) runs in no transaction."""
    monkeypatch.setitem(registry.CONNECTORS, "scripted", "tests.engine.scripted.ScriptedConnector")
    registry.get_connector.cache_clear()
    scripted = registry.get_connector("scripted")
    account = Connection(user=owner, network="scripted", base_url="http://x.test",
                         remote_id="1", handle="@me")
    account.credentials = {"token": "t"}
    account.save()
    seen: list[tuple[bool, bool]] = []

    def upload_media(_account: Any, _media: Any) -> str:
        seen.append((connection.in_atomic_block, _write_lock_is_free()))
        return "m1"

    monkeypatch.setattr(scripted, "upload_media", upload_media)
    post = services.create_post(user=owner, text="with a picture", connections=[account],
                                media=[services.NewMedia(png(), "orange")])
    engine.process(post.deliveries.get().pk)
    assert seen == [(False, True)]
    assert post.deliveries.get().state == DeliveryState.SENT
