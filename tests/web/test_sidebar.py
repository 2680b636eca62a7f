"""The sidebar every page draws (layouts/_nav.html through hubbub_ui.app_nav): kept once per
section and unread count, so a page must still mark its own section, show its own count, and
draw every icon from the sprite the browser keeps."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from django.test import Client

from hubbub.accounts.templatetags.hubbub_ui import _nav_html, app_nav

SVG = "{http://www.w3.org/2000/svg}"


def _nav(html: str) -> str:
    found = re.search(r'<nav class="nav" aria-label="Main">.*?</nav>', html, re.S)
    assert found, "no sidebar"
    return found.group(0)


def test_each_page_marks_its_own_section(client_in: Client) -> None:
    for url, label in (("/", "Compose"), ("/posts/", "Posts"), ("/plan/queues/", "Queue"),
                       ("/connections/", "Connections"), ("/accounts/settings/", "Settings")):
        nav = _nav(client_in.get(url).content.decode())
        current = re.findall(r'aria-current="page">.*?<span>([A-Za-z-]+)', nav)
        assert current, url
        assert set(current) == {label}, (url, current)


def test_the_count_is_the_one_asked_for_each_time() -> None:
    _nav_html.cache_clear()
    assert "nav-count" not in app_nav("deck", 0)
    assert '<span class="nav-count">3<span class="visually-hidden"> unread' in app_nav("deck", 3)
    assert '<span class="nav-count">4<span class="visually-hidden"> unread' in app_nav("deck", 4)
    assert "nav-count" not in app_nav("deck", 0)
    assert _nav_html.cache_info().hits == 1  # the second "deck, 0" was the kept one


def test_every_icon_of_the_layout_is_in_the_sprite(client_in: Client) -> None:
    html = client_in.get("/").content.decode()
    layout = html[html.index('<aside class="sidebar"'):html.index("</aside>")]
    refs = re.findall(r'<use href="([^"#]+)#([a-z-]+)"', layout)
    assert len(refs) >= 19
    assert "<path" not in layout  # no inline icon left in the sidebar
    sprite_url = {url for url, _ in refs}
    assert len(sprite_url) == 1
    sprite = client_in.get(sprite_url.pop().replace("&amp;", "&"))
    symbols = {s.get("id") for s in ElementTree.fromstring(sprite.content).iter(f"{SVG}symbol")}
    assert {name for _, name in refs} <= symbols
