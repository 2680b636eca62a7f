"""Quote from the deck in the composer, on the fake network: where the network quotes natively
the text starts empty and the delivery carries the post quoted (kept by a draft, opened again,
on the first part of a thread only); elsewhere the link is the quote, as before."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery, Post
from hubbub.publishing.target_drafts import part_drafts
from hubbub.timeline.models import Item
from tests.web.fakes import FakeConnector
from tests.web.fakes_composer import account, compose, live

pytestmark = pytest.mark.django_db
URL = "https://fake.example/@bob/7"


@pytest.fixture
def native(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeConnector, "native_quotes", True)


def _item(connection: Connection, remote_id: str = "7", **fields: object) -> Item:
    return Item.objects.create(
        connection=connection, network=connection.network, remote_id=remote_id, kind="post",
        created_at=timezone.now(), url=URL, author_handle="@bob@fake.example",
        text="Words worth quoting", **fields)


def _opened(client: Client, **query: object) -> str:
    response = client.get(reverse("publishing:compose"), query)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _text_area(page: str) -> str:
    start = page.index('name="text"')
    return page[page.index(">", start) + 1:page.index("</textarea>", start)]


def test_a_native_quote_opens_empty_and_the_delivery_carries_the_post(
        client_in: Client, owner: User, native: None) -> None:
    me = account(owner, "@me@fake.example")
    item = _item(me, extra={"original_id": "6"})  # a boost: its original is what is quoted
    page = _opened(client_in, quote=item.pk)
    assert "Quoting" in page
    assert "no link needed" in page
    assert _text_area(page).strip() == ""
    response = compose(client_in, text="My words", targets=[me.pk], quote=item.pk)
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.quote_of, delivery.quote_url) == ("6", URL)
    [draft] = part_drafts(delivery.post, delivery)
    assert (draft.text, draft.quote, draft.quote_url) == ("My words", "6", URL)


def test_the_preview_shows_a_native_quote_under_the_words(
        client_in: Client, owner: User, native: None) -> None:
    """On opening and as the person types: the quoting account's preview carries the post
    quoted under the words; another account ticked beside it, or a private item, does not."""
    me = account(owner, "@me@fake.example")
    item = _item(me)
    page = _opened(client_in, quote=item.pk)
    assert page.count("data-preview-quote") == 1
    assert "Words worth quoting" in page[page.index("data-preview-quote"):]
    typed = html.unescape(live(client_in, text="My words", targets=[me.pk], quote=item.pk))
    assert typed.count("data-preview-quote") == 1
    assert "Words worth quoting" in typed[typed.index("data-preview-quote"):]
    other = account(owner, "@other@fake.example")
    both = live(client_in, text="My words", targets=[me.pk, other.pk], quote=item.pk)
    assert both.count("data-preview-quote") == 1  # the quoting account's preview only
    secret = _item(me, remote_id="8", extra={"visibility": "direct"})
    assert "data-preview-quote" not in live(client_in, text="x", targets=[me.pk],
                                            quote=secret.pk)
    assert "data-preview-quote" not in live(client_in, text="x", targets=[me.pk],
                                            quote="9" * 30)


def test_elsewhere_the_link_is_the_quote(client_in: Client, owner: User) -> None:
    me = account(owner, "@me@fake.example")
    item = _item(me)
    page = _opened(client_in, quote=item.pk)
    assert "no link needed" not in page
    assert "data-preview-quote" not in page  # the link in the text is the quote here
    assert _text_area(page).strip() == URL
    other = account(owner, "@other@fake.example")
    response = compose(client_in, text=f"Mine\n\n{URL}", targets=[me.pk, other.pk],
                       quote=item.pk)
    assert response.status_code == 302  # any account may carry a link
    assert set(Delivery.objects.values_list("quote_of", flat=True)) == {""}


def test_a_draft_keeps_the_quote_and_opens_with_it(
        client_in: Client, owner: User, native: None) -> None:
    me = account(owner, "@me@fake.example")
    item = _item(me)
    response = compose(client_in, text="Later", targets=[me.pk], quote=item.pk, action="draft")
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.deliveries.get().quote_of == "7"
    page = _opened(client_in, draft=post.pk)
    assert "Quoting" in page
    assert f'name="quote" value="{item.pk}"' in page
    # Saved again without the quote field (a form that dropped it): the quote stays.
    response = client_in.post(reverse("publishing:autosave"),
                              {"text": "Later still", "targets": [me.pk], "draft": post.pk})
    assert response.status_code == 200
    assert post.deliveries.get().quote_of == "7"


def test_a_thread_quotes_in_its_first_part_only(
        client_in: Client, owner: User, native: None) -> None:
    me = account(owner, "@me@fake.example", limit=20)
    item = _item(me)
    response = compose(client_in, text="first part words", targets=[me.pk], quote=item.pk,
                       **{f"custom_{me.pk}": "1", f"text_{me.pk}": "first part words",
                          f"part_{me.pk}": ["first part words", "second part"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    delivery = Delivery.objects.get()
    drafts = part_drafts(delivery.post, delivery)
    assert [(d.text, d.quote) for d in drafts] == [("first part words", "7"),
                                                   ("second part", "")]


def test_quoting_an_item_gone_is_said_when_the_composer_opens(
        client_in: Client, owner: User, native: None) -> None:
    me = account(owner, "@me@fake.example")
    item = _item(me)
    gone = item.pk
    item.delete()
    page = _opened(client_in, quote=gone)
    assert "That post is not in your hub any more: it cannot be quoted." in page
    assert "Quoting" not in page
    response = compose(client_in, text="Still mine", targets=[me.pk], quote=gone)
    assert response.status_code == 400
    assert "Still mine" in response.content.decode()
    assert not Post.objects.exists()
