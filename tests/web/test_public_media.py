"""Addresses a network fetches a post's image from (Instagram, Threads): served without a
login to whoever holds the address, only until it expires, and only for the hub's own files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from hubbub.core import public_media
from hubbub.core.public_media import NotPublic, public_url, reachability


@pytest.fixture
def image(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = "https://hub.example.org"
    target = settings.MEDIA_ROOT / "posts" / "1" / "photo.jpg"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\xff\xd8\xff\xe0 a jpeg")
    return target


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://hub.example.org"
    return parts.path


@pytest.mark.django_db
def test_the_address_serves_the_file_without_a_login(image: Path) -> None:
    response = Client().get(_path(public_url(image, "image/jpeg")))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == image.read_bytes()  # type: ignore[attr-defined]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    head = Client().head(_path(public_url(image, "image/jpeg")))
    assert head.status_code == 200
    assert Client().post(_path(public_url(image, "image/jpeg"))).status_code == 405


@pytest.mark.django_db
def test_a_changed_expired_or_gone_address_answers_404(image: Path) -> None:
    url = _path(public_url(image, "image/jpeg"))
    token = url.split("/")[3]
    changed = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    expired = _path(public_url(image, "image/jpeg", ttl=timedelta(seconds=-1)))
    for address in (changed, expired, "/public/media/x/photo.jpg",
                    "/public/media/" + "a" * 5000 + "/photo.jpg"):
        response = Client().get(address)
        assert response.status_code == 404, address
        assert b"expired" in response.content
    image.unlink()
    assert Client().get(url).status_code == 404


def test_only_the_hubs_own_files_get_an_address(image: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secrets.json"
    outside.write_text("{}")
    with pytest.raises(ValueError, match="subpath"):
        public_url(outside, "application/json")
    with pytest.raises(ValueError, match="subpath"):
        public_url(image.parent / ".." / ".." / ".." / "secrets.json", "application/json")


def test_a_token_made_for_another_purpose_does_not_open_a_file(image: Path) -> None:
    from django.core import signing

    relative = image.relative_to(public_media._media_root()).as_posix()
    forged = signing.dumps({"p": relative, "t": "image/jpeg", "e": 2**40}, salt="other")
    assert public_media.resolve(forged) is None
    ours = signing.dumps({"p": relative, "t": "image/jpeg", "e": 2**40}, salt=public_media.SALT)
    assert public_media.resolve(ours) is not None


def test_without_a_public_address_the_hub_says_so(settings: Any, image: Path) -> None:
    settings.PUBLIC_URL = ""
    with pytest.raises(NotPublic, match="HUBBUB_PUBLIC_URL"):
        public_url(image, "image/jpeg")


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "http://localhost:8000",
                                  "https://hub.local", "http://192.168.1.4", "http://[::1]:80",
                                  "https://10.0.0.2", "http://hub.localhost"])
def test_an_address_on_this_machine_or_a_private_network_is_named(base: str) -> None:
    assert "cannot fetch" in reachability(base)


def test_a_public_address_is_reachable() -> None:
    assert reachability("https://hub.example.org") == ""
    assert reachability("https://8.8.8.8") == ""
    assert "no public address" in reachability("")
