"""Pages leave gzip-compressed when the browser accepts it (core/compress.py), byte for byte
the page once decompressed; live-event streams, pictures and small answers leave as they are."""

from __future__ import annotations

import gzip

from django.test import Client

from hubbub.connections.models import Connection


def test_a_page_leaves_compressed_and_decompresses_to_the_same_page(
        client_in: Client, connection: Connection) -> None:
    plain = client_in.get("/deck/", follow=True)
    packed = client_in.get("/deck/", follow=True, HTTP_ACCEPT_ENCODING="gzip, br")
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content)
    assert b"<main" in html
    assert html.rstrip().endswith(b"</html>")
    # The same page, apart from its per-request CSRF tokens and nonces.
    assert abs(len(html) - len(plain.content)) < 500
    assert len(packed.content) * 3 < len(html)


def test_the_live_stream_is_not_held_back(
        client_in: Client, connection: Connection) -> None:
    stream = client_in.get("/deck/events/", HTTP_ACCEPT_ENCODING="gzip")
    assert stream.streaming
    assert "Content-Encoding" not in stream
    stream.close()


def test_a_small_answer_is_sent_as_it_is(client: Client) -> None:
    redirect = client.get("/deck/", HTTP_ACCEPT_ENCODING="gzip")  # not logged in
    assert redirect.status_code == 302
    assert "Content-Encoding" not in redirect


def test_the_icon_sprite_leaves_compressed(client: Client) -> None:
    from hubbub.timeline.templatetags.deck_ui import sprite_version

    packed = client.get(f"/deck/icons.svg?v={sprite_version()}", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content).startswith(b"<svg")
