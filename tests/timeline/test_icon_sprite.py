"""The deck's icons are references into one sprite the browser keeps (timeline/icons.py): the
sprite holds every icon of the table, is served without a session, is kept for a year under
the address the pages name, and the pages' icons point into it."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.template import Context, Template
from django.test import Client

from hubbub.accounts.templatetags.hubbub_ui import ICONS as APP_ICONS
from hubbub.timeline.templatetags.deck_ui import APP_SPRITE, ICONS, sprite_version

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def test_the_sprite_holds_every_icon_and_is_kept_a_year_without_a_session() -> None:
    answer = Client().get(f"/deck/icons.svg?v={sprite_version()}")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/svg+xml"
    assert answer["Cache-Control"] == "public, max-age=31536000, immutable"
    root = ElementTree.fromstring(answer.content)
    symbols = {s.get("id"): s for s in root.iter(f"{SVG}symbol")}
    assert set(symbols) == set(ICONS) | {f"app-{name}" for name in APP_SPRITE}
    # The app's icons are drawn as its own table draws them inline.
    assert all(name in APP_ICONS for name in APP_SPRITE)
    # No fill or stroke of their own: the page's CSS gives them (and fills a liked heart).
    assert all(s.get("viewBox") == "0 0 24 24" and s.get("fill") is None
               and s.get("stroke") is None for s in symbols.values())
    assert len(symbols["reply"]) >= 1  # the paths are inside


def test_an_old_address_is_kept_only_briefly() -> None:
    answer = Client().get("/deck/icons.svg?v=older")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "public, max-age=60"


def test_an_icon_is_a_reference_into_the_sprite() -> None:
    html = Template('{% load deck_ui %}{% dicon "reply" "big" %}').render(Context())
    assert html == (f'<svg class="icon big" aria-hidden="true">'
                    f'<use href="/deck/icons.svg?v={sprite_version()}#reply"/></svg>')
    assert re.fullmatch(r"[0-9a-f]{12}", sprite_version())
    with pytest.raises(KeyError):
        Template('{% load deck_ui %}{% dicon "no-such-icon" %}').render(Context())


def test_an_app_icon_is_a_reference_too() -> None:
    html = Template('{% load deck_ui %}{% app_icon "queue" %}').render(Context())
    assert html == (f'<svg class="icon" aria-hidden="true">'
                    f'<use href="/deck/icons.svg?v={sprite_version()}#app-queue"/></svg>')
    with pytest.raises(KeyError):
        Template('{% load deck_ui %}{% app_icon "reply" %}').render(Context())
