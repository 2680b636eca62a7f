"""What a column shows: items rendered like the network, pages without JavaScript, new items,
reactions, and replies through the composer."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery
from hubbub.timeline.cursors import encode_cursor
from hubbub.timeline.models import Deck, Item
from hubbub.timeline.views import FIRST_SCREEN, PAGE_SIZE
from tests.deck.conftest import make_column, make_connection, make_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def deck(owner: User) -> Deck:
    return Deck.objects.create(user=owner, name="Main")


def _older_link(html: str) -> str | None:
    found = re.search(r'<a class="[^"]*"[^>]*href="([^"]*\?before=[^"]+)"[^>]*rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _older_link_htmx(html: str) -> str | None:
    found = re.search(r'hx-get="([^"]*\?before=[^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_item_renders_like_the_network(client_in: Client, deck: Deck,
                                       connection: Connection) -> None:
    item = make_items(
        connection, "home", 1,
        reposted_by="@carol@fake.example", reposted_by_name="Carol",
        in_reply_to="99", in_reply_to_handle="@dave@fake.example",
        author_avatar="https://cdn.fake.example/bob.png",
        html='<p>Hello <a href="https://fake.example/tags/deck">#deck</a></p>',
        media=[
            {"type": "image", "url": "https://cdn.fake.example/a.png",
             "preview_url": "https://cdn.fake.example/a-small.png", "description": "A red fox"},
            {"type": "image", "url": "javascript:alert(1)", "preview_url": "data:image/png,xx",
             "description": "hostile"},
        ],
        card={"url": "https://news.example/story", "title": "A story", "description": "Read it",
              "image": "https://news.example/i.png"},
        quote={"author_handle": "@erin@fake.example", "text": "quoted words",
               "url": "https://fake.example/@erin/1"},
    )[0]
    make_column(deck, connection)
    html = Client.get(client_in, reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert "Carol reposted" in html
    assert "Replying to" in html
    assert "@dave@fake.example" in html
    assert 'Hello <a href="https://fake.example/tags/deck">#deck</a>' in html
    assert 'alt="A red fox"' in html
    assert "<p>A red fox</p>" in html
    # Pictures come from the hub's proxy (avatar, media, card image), and no page tells another
    # site its address (links to the networks leave with no referrer).
    assert len(re.findall(r'<img src="/proxy/image/', html)) >= 3
    assert re.findall(r'<img[^>]* src="(?!/proxy/image/|/static/)', html) == []
    assert Client.get(client_in, reverse("timeline:deck", args=[deck.pk])).headers[
        "Referrer-Policy"] == "same-origin"
    assert 'loading="lazy"' in html
    assert "javascript:alert" not in html
    assert "data:image/png,xx" not in html
    assert "A story" in html
    assert "news.example" in html
    assert "quoted words" in html
    assert "Fakebook" in html  # the network, at a glance
    assert f'data-item="{item.pk}"' in html
    # The actions are drawn in the browser from the page's one copy of them (items.js); the
    # item's own page, which its time leads to, has them for a browser without JavaScript.
    assert html.count('id="item-acts"') == 1
    assert f'?reply_to={item.pk}"' not in html
    own_page = reverse("timeline:item_conversation", args=[item.pk])
    assert f'<a class="item-time" href="{own_page}">' in html


def test_content_warning_and_sensitive_media_start_hidden(client_in: Client, deck: Deck,
                                                          connection: Connection) -> None:
    make_items(connection, "home", 1, content_warning="spoilers", sensitive=True,
               media=[{"type": "image", "url": "https://cdn.fake.example/s.png",
                       "preview_url": "", "description": ""}])
    make_column(deck, connection)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert re.search(r'<details class="cw">\s*<summary>.*spoilers', html, re.S)
    assert "media-1 is-sensitive" in html
    assert 'class="reveal-toggle"' in html
    assert "Sensitive media" in html


def test_paging_without_javascript(client_in: Client, deck: Deck,
                                   connection: Connection) -> None:
    items = make_items(connection, "home", 70)
    column = make_column(deck, connection)
    url = reverse("timeline:column", args=[column.pk])
    first = client_in.get(url).content.decode()
    shown = [int(pk) for pk in re.findall(r'data-item="(\d+)"', first)]
    assert shown == [i.pk for i in reversed(items[40:])]
    older = _older_link(first)
    assert older is not None
    second = client_in.get(older).content.decode()
    assert [int(pk) for pk in re.findall(r'data-item="(\d+)"', second)] == [
        i.pk for i in reversed(items[10:40])]
    assert "Newest" in second
    third = client_in.get(_older_link(second) or "").content.decode()
    assert [int(pk) for pk in re.findall(r'data-item="(\d+)"', third)] == [
        i.pk for i in reversed(items[:10])]
    assert _older_link(third) is None


def test_deck_column_links_to_older_pages_and_htmx_gets_the_next_page(
        client_in: Client, deck: Deck, connection: Connection) -> None:
    """The deck opens each column with its first screen of items (FIRST_SCREEN); the rest come
    a page at a time as the sentinel below them comes into view."""
    items = make_items(connection, "home", 45)
    column = make_column(deck, connection)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert [int(pk) for pk in re.findall(r'data-item="(\d+)"', html)] == [
        i.pk for i in reversed(items[45 - FIRST_SCREEN:])]
    cursor = encode_cursor(items[45 - FIRST_SCREEN].created_at, items[45 - FIRST_SCREEN].pk)
    link = f'{reverse("timeline:column", args=[column.pk])}?before={cursor}'
    assert f'href="{link}"' in html
    assert f'hx-get="{link}"' in html
    assert 'hx-trigger="intersect once, click"' in html
    part = client_in.get(link, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part
    rest = 45 - FIRST_SCREEN - PAGE_SIZE
    assert [int(pk) for pk in re.findall(r'data-item="(\d+)"', part)] == [
        i.pk for i in reversed(items[rest:45 - FIRST_SCREEN])]
    following = _older_link_htmx(part)
    assert following is not None
    last = client_in.get(following, HTTP_HX_REQUEST="true").content.decode()
    assert [int(pk) for pk in re.findall(r'data-item="(\d+)"', last)] == [
        i.pk for i in reversed(items[:rest])]
    assert "That\u2019s everything" in last
    # Past the oldest item: the end, not "nothing here".
    oldest = encode_cursor(items[0].created_at, items[0].pk)
    end = client_in.get(f"{reverse('timeline:column', args=[column.pk])}?before={oldest}",
                        HTTP_HX_REQUEST="true").content.decode()
    assert "That\u2019s everything" in end
    assert "Nothing here yet" not in end


def test_merged_column_is_one_timeline(client_in: Client, owner: User, deck: Deck) -> None:
    alice = make_connection(owner, "@alice@fake.example")
    bob = make_connection(owner, "@bob@fake.example", remote_id="43")
    a = make_items(alice, "mentions", 2, text="to alice")
    b = make_items(bob, "mentions", 2, text="to bob", start=a[0].created_at.replace(second=30))
    column = make_column(deck, alice, "mentions", "All mentions")
    column.feeds.add(*bob.feeds.all())
    html = client_in.get(reverse("timeline:column", args=[column.pk])).content.decode()
    order = [int(pk) for pk in re.findall(r'data-item="(\d+)"', html)]
    expected = sorted([*a, *b], key=lambda i: (i.created_at, i.pk), reverse=True)
    assert order == [i.pk for i in expected]


def test_newer_gives_only_what_came_after(client_in: Client, deck: Deck,
                                          connection: Connection) -> None:
    items = make_items(connection, "home", 5)
    column = make_column(deck, connection)
    url = reverse("timeline:column_newer", args=[column.pk])
    after = encode_cursor(items[2].created_at, items[2].pk)
    html = client_in.get(url, {"after": after}).content.decode()
    assert [int(pk) for pk in re.findall(r'data-item="(\d+)"', html)] == [items[4].pk, items[3].pk]


def test_newer_brings_the_named_items_stored_late(client_in: Client, deck: Deck,
                                                  connection: Connection) -> None:
    """An item stored after newer ones (a poll after the stream) is older than the column's
    top: the live event names it and column_newer's `among` brings it, but never an item the
    column does not show (another feed, another person's), and a malformed list is no error."""
    items = make_items(connection, "home", 5)
    elsewhere = make_items(connection, "mentions", 1)[0]
    stranger = make_connection(User.objects.create_user("mallory", password="x" * 12),
                               handle="@mallory@fake.example", remote_id="66")
    theirs = make_items(stranger, "home", 1)[0]
    column = make_column(deck, connection)
    url = reverse("timeline:column_newer", args=[column.pk])
    after = encode_cursor(items[3].created_at, items[3].pk)

    def shown(among: str) -> list[int]:
        response = client_in.get(url, {"after": after, "among": among})
        assert response.status_code == 200
        return [int(pk) for pk in re.findall(r'data-item="(\d+)"', response.content.decode())]

    assert shown(f"{items[1].pk},{items[4].pk}") == [items[4].pk, items[1].pk]
    assert shown(f"{elsewhere.pk},{theirs.pk},{items[0].pk}") == [items[4].pk, items[0].pk]
    assert shown("9" * 30 + ",-1,x,,\x00") == [items[4].pk]
    assert shown(",".join(str(n) for n in range(1, 5000))) == [
        items[4].pk, *(i.pk for i in reversed(items[:4]))]


def test_react_through_the_connector(client_in: Client, deck: Deck, connection: Connection,
                                     deck_network: list[tuple[str, str, str]]) -> None:
    item = make_items(connection, "home", 1)[0]
    url = reverse("timeline:item_react", args=[item.pk])
    response = client_in.post(url, {"kind": "like"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert deck_network == [("@alice@fake.example", item.remote_id, "like")]
    item.refresh_from_db()
    assert item.liked
    assert not item.reposted

    # A repost acts on the original post, not on the repost wrapper.
    boosted = make_items(connection, "home", 1, extra={"original_id": "orig-1"})[0]
    client_in.post(reverse("timeline:item_react", args=[boosted.pk]), {"kind": "repost"})
    assert deck_network[-1] == ("@alice@fake.example", "orig-1", "repost")


def test_private_items_are_not_reposted_nor_quoted(client_in: Client, deck: Deck,
                                                   connection: Connection,
                                                   deck_network: list[tuple[str, str, str]]
                                                   ) -> None:
    """A direct message and a followers-only post say so and are refused a repost (nothing
    reaches the network) and a quote; a like still goes."""
    direct = make_items(connection, "home", 1, extra={"visibility": "direct"})[0]
    followers = make_items(connection, "home", 1, extra={"visibility": "private"})[0]
    make_column(deck, connection)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert f'data-item="{direct.pk}"' in html
    assert 'data-private="direct"' in html
    assert 'data-private="followers"' in html
    assert 'title="Direct message: only the people it names can see it">Direct</span>' in html
    assert "title=\"Followers only: only the author's followers can see it\">Followers<" in html
    for item in (direct, followers):
        response = client_in.post(reverse("timeline:item_react", args=[item.pk]),
                                  {"kind": "repost"}, HTTP_HX_REQUEST="true")
        assert "not for reposting" in response.content.decode()
        item.refresh_from_db()
        assert not item.reposted
        quoted = client_in.get(reverse("publishing:compose"), {"quote": item.pk},
                               follow=True).content.decode()
        assert "it cannot be quoted" in quoted
        assert f'name="quote" value="{item.pk}"' not in quoted
    assert deck_network == []
    client_in.post(reverse("timeline:item_react", args=[direct.pk]), {"kind": "like"})
    assert deck_network == [("@alice@fake.example", direct.remote_id, "like")]


def test_react_failures_are_said_inline(client_in: Client, owner: User, deck: Deck) -> None:
    refused = make_connection(owner)
    gone = make_items(refused, "home", 1)[0]
    Item.objects.filter(pk=gone.pk).update(remote_id="refused")
    response = client_in.post(reverse("timeline:item_react", args=[gone.pk]), {"kind": "bookmark"},
                              HTTP_HX_REQUEST="true")
    assert "Fakebook said no: that post is gone" in response.content.decode()
    homeonly = make_connection(owner, "@carol@home.example", network="homeonly", remote_id="7")
    item = make_items(homeonly, "home", 1)[0]
    response = client_in.post(reverse("timeline:item_react", args=[item.pk]), {"kind": "like"},
                              HTTP_HX_REQUEST="true")
    assert "Homebook cannot like from hubbub yet" in response.content.decode()
    # Without JavaScript: back to the deck with the message.
    response = client_in.post(reverse("timeline:item_react", args=[item.pk]),
                              {"kind": "like", "next": reverse("timeline:deck", args=[deck.pk])},
                              follow=True)
    assert "Homebook cannot like from hubbub yet" in response.content.decode()


def test_reply_from_a_column_goes_out_as_a_reply(client_in: Client, owner: User,
                                                 connection: Connection) -> None:
    other_account = make_connection(owner, "@second@fake.example", remote_id="43")
    item = make_items(connection, "home", 1, extra={"original_id": "status-7"})[0]
    compose = reverse("publishing:compose")
    html = client_in.get(compose, {"reply_to": item.pk}).content.decode()
    assert "Replying to" in html
    assert f'name="reply_to" value="{item.pk}"' in html
    # The author is mentioned; the account's own server's as "@bob", as Mastodon's client does.
    assert "@bob </textarea>" in html
    assert "@second@fake.example" not in html  # a reply goes from the account that saw it

    response = client_in.post(compose, {"action": "now", "text": "@bob@fake.example yes!",
                                        "targets": [connection.pk], "reply_to": item.pk})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.connection, delivery.in_reply_to) == (connection, "status-7")

    response = client_in.post(compose, {"action": "now", "text": "both",
                                        "targets": [connection.pk, other_account.pk],
                                        "reply_to": item.pk})
    assert response.status_code == 400
    assert "A reply goes out from @alice@fake.example only" in response.content.decode()


def test_quote_prefills_the_link(client_in: Client, connection: Connection) -> None:
    item = make_items(connection, "home", 1)[0]
    html = client_in.get(reverse("publishing:compose"), {"quote": item.pk}).content.decode()
    assert item.url in html


def test_counts_and_an_unavailable_quote(client_in: Client, deck: Deck,
                                         connection: Connection) -> None:
    make_items(connection, "home", 1, extra={"counts": {"like": 1234, "repost": 5, "reply": 0}},
               quote={"uri": "at://x", "unavailable": "blocked", "url": "javascript:alert(1)"})
    make_column(deck, connection)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    # The counts the actions show (items.js): replies, reposts, likes; "-" for none.
    assert 'data-n="- 5 1.2K"' in html
    [item] = Item.objects.filter(connection=connection)
    own = client_in.get(reverse("timeline:item_conversation", args=[item.pk])).content.decode()
    assert '1.2K<span class="visually-hidden"> likes' in own
    assert '5<span class="visually-hidden"> reposts' in own
    assert " replies</span>" not in own
    assert "Quoted post unavailable (blocked)" in html
    assert "javascript:" not in html
