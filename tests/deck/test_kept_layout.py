"""The column page's menu and the sidebar's user menu are kept in the process
(deck_ui.column_menu, hubbub_ui.user_menu) instead of drawn on each page: a page must still
show its own column's title, width and newest item, and each person their own name, zone and
CSRF token; a title or name holding a slot's text is drawn as it is; DEBUG draws anew."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.accounts.templatetags.hubbub_ui import _user_menu_html
from hubbub.timeline.cursors import encode_cursor
from hubbub.timeline.models import Column, Deck, Item
from hubbub.timeline.templatetags.deck_ui import _column_menu
from tests.deck.conftest import PASSWORD, make_column, make_connection, make_items

pytestmark = pytest.mark.django_db


def _menu(page: str) -> str:
    found = re.search(r'<details class="pop column-menu">.*?</details>', page, re.S)
    assert found, "no column menu"
    return found.group(0)


def _read_cursor(menu: str) -> str:
    found = re.search(r'name="until" value="([^"]*)" data-read-all', menu)
    assert found, "no Mark all as read"
    return found.group(1)


def _newest_cursor(column: Column) -> str:
    """The paging cursor of the column's newest item."""
    newest = Item.objects.filter(entries__feed__columns=column).latest("created_at", "pk")
    return encode_cursor(newest.created_at, newest.pk)


def _column(owner: User, title: str = "Home") -> Column:
    deck = Deck.objects.create(user=owner, name="Main")
    return make_column(deck, make_connection(owner), title=title)


def test_the_kept_menu_shows_the_columns_own_title_width_and_newest_item(
        client_in: Client, owner: User) -> None:
    column = _column(owner)
    make_items(column.feeds.get().connection, count=3)
    _column_menu.cache_clear()
    url = f"/deck/columns/{column.pk}/"
    first = client_in.get(url).content.decode()
    assert _read_cursor(_menu(first)) == _newest_cursor(column)
    again = client_in.get(url).content.decode()
    assert _menu(again) == _menu(first)
    assert _column_menu.cache_info().hits == 1  # the second page's menu was the kept one

    # A newer item: the cursor is the page's, from the same kept copy.
    make_items(column.feeds.get().connection, count=1, text="newer",
               start=timezone.now() - timedelta(minutes=1))
    newer = client_in.get(url).content.decode()
    assert _read_cursor(_menu(newer)) == _newest_cursor(column)
    assert _read_cursor(_menu(newer)) != _read_cursor(_menu(first))
    assert _column_menu.cache_info().hits == 2

    column.title, column.width = "Renamed", "wide"
    column.save()
    renamed = _menu(client_in.get(url).content.decode())
    assert "Remove the column “Renamed”?" in renamed
    assert 'value="wide" aria-pressed="true"' in renamed
    assert 'value="normal" aria-pressed="false"' in renamed


def test_a_title_holding_the_slot_is_shown_as_written(client_in: Client, owner: User) -> None:
    title = '<b>newestslot0placeholder</b> & "co"'
    column = _column(owner, title=title)
    make_items(column.feeds.get().connection, count=2)
    page = client_in.get(f"/deck/columns/{column.pk}/").content.decode()
    menu = _menu(page)
    assert f"Remove the column “{html.escape(title)}”?" in menu
    assert _read_cursor(menu) == _newest_cursor(column)
    assert "<b>" not in menu


def test_an_address_holding_the_token_slot_never_gets_the_token(
        client_in: Client, owner: User) -> None:
    """The actions' kept copy writes the page's address into its forms' `next`: a link whose
    query holds the slot's text must not have the CSRF token written there (it would go to the
    address bar, the history and the logs after the next action)."""
    column = _column(owner, title="Home")
    make_items(column.feeds.get().connection, count=2)
    for query in ("", "?x=tokenslot0placeholder"):
        page = client_in.get(f"/deck/columns/{column.pk}/{query}").content.decode()
        acts = re.search(r'<template id="item-acts".*?</template>', page, re.S)
        assert acts, "no actions' copy"
        token = _logout_token(page)
        assert token in acts.group(0)  # the forms' own tokens
        nexts = re.findall(r'name="next" value="([^"]*)"', acts.group(0))
        assert nexts, "no next field"
        assert all(html.unescape(n) == f"/deck/columns/{column.pk}/{query}" for n in nexts), nexts


def _user_menu(page: str) -> str:
    found = re.search(r'<details class="user-menu">.*?</details>', page, re.S)
    assert found, "no user menu"
    return found.group(0)


def _logout_token(page: str) -> str:
    found = re.search(r'action="/accounts/logout/">\s*<input type="hidden" '
                      r'name="csrfmiddlewaretoken" value="([^"]+)">', page)
    assert found, "no log-out form"
    return found.group(1)


@pytest.mark.parametrize("name", ["carol", "usertokenslot0placeholder"])
def test_each_person_sees_their_own_name_and_a_working_log_out(
        owner: User, name: str) -> None:
    User.objects.create_user(name, password=PASSWORD)
    _user_menu_html.cache_clear()
    pages = {}
    for who in ("owner", name):
        client = Client(enforce_csrf_checks=True)
        assert client.login(username=who, password=PASSWORD)
        client.get("/accounts/settings/")
        page = client.get("/accounts/settings/").content.decode()
        menu = _user_menu(page)
        assert f'<span class="user-name">{who}</span>' in menu
        assert "<p class=\"menu-zone\">" in menu
        token = _logout_token(page)
        assert token.isalnum()
        assert "placeholder" not in token
        # The same token as the page's other forms (hx-headers).
        assert f'"X-CSRFToken": "{token}"' in page
        pages[who] = menu
        assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert pages["owner"] != pages[name]
    assert _user_menu_html.cache_info().hits >= 1  # each person's second page


def test_debug_draws_the_menus_anew(client_in: Client, owner: User,
                                    settings: Any) -> None:
    column = _column(owner)
    make_items(column.feeds.get().connection, count=1)
    settings.DEBUG = True
    _column_menu.cache_clear()
    _user_menu_html.cache_clear()
    for _ in range(2):
        page = client_in.get(f"/deck/columns/{column.pk}/").content.decode()
        assert "Remove the column “Home”?" in _menu(page)
        assert '<span class="user-name">owner</span>' in _user_menu(page)
    assert _column_menu.cache_info().currsize == 0
    assert _user_menu_html.cache_info().currsize == 0


def test_the_layouts_file_addresses_follow_the_static_settings(
        client_in: Client, settings: Any) -> None:
    from django.templatetags.static import static

    from hubbub.accounts.templatetags.hubbub_ui import _static_url, fast_static

    assert fast_static("hubbub/app.css") == static("hubbub/app.css")
    page = client_in.get("/accounts/settings/").content.decode()
    assert f'<link rel="stylesheet" href="{static("hubbub/app.css")}">' in page
    settings.STATIC_URL = "/assets-elsewhere/"
    assert _static_url.cache_info().currsize == 0  # the kept addresses went with the old URL
    moved = client_in.get("/accounts/settings/").content.decode()
    assert '<link rel="stylesheet" href="/assets-elsewhere/hubbub/app.css">' in moved
    assert '<script src="/assets-elsewhere/hubbub/app.js" defer></script>' in moved
