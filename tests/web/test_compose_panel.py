"""The composer in the deck (its server side): the panel's form, sending from it (201 and each
account's status, or 400 and the form again with nothing lost), the remembered choice of
accounts, and named groups of accounts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.accounts.models import Profile, TargetGroup
from hubbub.connections.models import Connection
from hubbub.publishing.models import DeliveryState, Post
from hubbub.timeline.models import Feed, FeedEntry, Item
from tests.web.fakes_composer import account, png

pytestmark = pytest.mark.django_db

PANEL = "/compose/panel/"


def _disconnect(connection: Connection) -> None:
    connection.disconnected_at = timezone.now()
    connection.save(update_fields=["disconnected_at"])


def _ticked(html: str, pk: int) -> bool:
    return f'name="targets" value="{pk}" checked' in html


def _item(connection_pk: int, owner_connection: object) -> Item:
    feed, _ = Feed.objects.get_or_create(connection=owner_connection, key="home")
    item = Item.objects.create(
        connection=owner_connection, network="fake", remote_id="seen-1",
        author_handle="@bob@fake.example", author_name="Bob", text="what do you think?",
        html="<p>what do you think?</p>", url="https://fake.example/@bob/1", kind="post",
        created_at=timezone.now() - timedelta(minutes=1))
    FeedEntry.objects.create(feed=feed, item=item, created_at=item.created_at)
    return item


def test_the_panel_is_a_fragment_with_the_compose_fields(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    assert reverse("publishing:panel") == PANEL
    response = client_in.get(PANEL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="panel-form"' in html
    assert 'name="text"' in html
    assert 'name="image_1"' in html
    assert 'value="now"' in html
    assert _ticked(html, a.pk)  # the only account is ticked


def test_sending_from_the_panel_answers_with_each_accounts_status(
        client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    response = client_in.post(PANEL, {"text": "from the deck", "targets": [a.pk, b.pk],
                                      "action": "now"})
    assert response.status_code == 201
    post = Post.objects.get()
    assert post.text == "from the deck"
    assert not post.is_draft
    assert set(post.deliveries.values_list("connection_id", flat=True)) == {a.pk, b.pk}
    html = response.content.decode()
    assert "Sent off to 2 accounts" in html
    assert "Sending" in html
    assert "Scheduled" not in html
    status_url = reverse("publishing:panel_post", args=[post.pk])
    assert f'hx-get="{status_url}"' in html  # it asks again while a target is on its way
    # Once every account is done, the panel stops asking.
    post.deliveries.update(state=DeliveryState.SENT, sent_at=timezone.now())
    settled = client_in.get(status_url).content.decode()
    assert "hx-get" not in settled
    assert ">Sent<" in settled


def test_the_accounts_of_the_last_post_are_ticked_next_time(client_in: Client,
                                                            owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    c = account(owner, "@c@fake.example")
    html = client_in.get(PANEL).content.decode()
    assert not any(_ticked(html, x.pk) for x in (a, b, c))  # several accounts, no choice yet
    client_in.post(PANEL, {"text": "one", "targets": [a.pk, c.pk], "action": "now"})
    assert Profile.objects.get(user=owner).last_targets == sorted([a.pk, c.pk])
    for url in (PANEL, reverse("publishing:compose")):
        html = client_in.get(url).content.decode()
        assert _ticked(html, a.pk)
        assert _ticked(html, c.pk)
        assert not _ticked(html, b.pk)
    # The full page's choice is remembered too, and a disconnected account is skipped.
    client_in.post(reverse("publishing:compose"),
                   {"text": "two", "targets": [b.pk], "action": "now"})
    _disconnect(b)
    html = client_in.get(PANEL).content.decode()
    assert f'value="{b.pk}"' not in html
    assert not _ticked(html, a.pk)
    assert not _ticked(html, c.pk)


def test_a_refused_post_comes_back_with_what_was_typed_and_attached(
        client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    response = client_in.post(PANEL, {"text": "keep me", "action": "now"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "keep me" in html
    assert "<html" not in html
    assert not Post.objects.exists()
    # A picture without its description (required by default) is held, not lost.
    response = client_in.post(PANEL, {"text": "a cat", "targets": [a.pk], "action": "now",
                                      "image_1": png(), "alt_1": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="keep_1" value="' in html
    assert 'name="keep_1" value=""' not in html
    assert "a cat" in html
    assert not Post.objects.filter(is_draft=False).exists()


def test_a_reply_from_the_panel_goes_from_the_account_that_saw_the_item(
        client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    client_in.post(PANEL, {"text": "both", "targets": [a.pk, b.pk], "action": "now"})
    item = _item(b.pk, b)
    html = client_in.get(PANEL, {"reply_to": item.pk}).content.decode()
    assert "Replying to" in html
    assert "Bob" in html
    assert _ticked(html, b.pk)
    assert f'name="targets" value="{a.pk}"' not in html
    response = client_in.post(PANEL, {"text": "@bob@fake.example agreed", "targets": [b.pk],
                                      "reply_to": item.pk, "action": "now"})
    assert response.status_code == 201
    # Answering is not a choice of accounts to keep for the next post.
    assert Profile.objects.get(user=owner).last_targets == sorted([a.pk, b.pk])


def test_one_persons_post_status_is_not_anothers(client_in: Client, owner: User,
                                                 other: User) -> None:
    theirs = account(other, "@t@fake.example")
    post = Post.objects.create(user=other, text="mine")
    post.deliveries.create(connection=theirs, state=DeliveryState.SENT, due_at=timezone.now())
    assert client_in.get(reverse("publishing:panel_post", args=[post.pk])).status_code == 404
    assert client_in.get("/compose/panel/post/99999999999999999999999/").status_code == 404


# --- groups ---------------------------------------------------------------------------------


def _save(client: Client, name: str, ids: list[int], *, as_json: bool = True) -> object:
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(reverse("publishing:group_save"),
                       {"group_name": name, "targets": ids}, headers=headers)


def test_a_named_group_ticks_its_accounts(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    c = account(owner, "@c@fake.example")
    response = _save(client_in, "  Work  ", [a.pk, c.pk])
    answer = json.loads(response.content)  # type: ignore[attr-defined]
    assert answer["name"] == "Work"
    assert answer["ids"] == [a.pk, c.pk]
    group = TargetGroup.objects.get(user=owner)
    for url in (PANEL, reverse("publishing:compose")):
        html = client_in.get(url).content.decode()
        assert f'data-tick="{a.pk} {c.pk}" data-group="{group.pk}"' in html
        assert 'data-tick="all"' in html
    # Without the script the group is a link that opens the composer with its accounts.
    html = client_in.get(reverse("publishing:compose"), {"group": group.pk}).content.decode()
    assert _ticked(html, a.pk)
    assert _ticked(html, c.pk)
    assert not _ticked(html, b.pk)
    # The same name again replaces the group's accounts.
    _save(client_in, "Work", [b.pk])
    assert TargetGroup.objects.get(user=owner).connection_ids == [b.pk]


def test_a_group_is_refused_with_a_sentence(client_in: Client, owner: User,
                                            other: User) -> None:
    a = account(owner, "@a@fake.example")
    account(owner, "@b@fake.example")
    theirs = account(other, "@t@fake.example")
    for name, ids, words in (("", [a.pk], "Give the group a name"),
                             ("x" * 61, [a.pk], "at most 60 characters"),
                             ("Mine", [], "Tick the accounts"),
                             ("Theirs", [theirs.pk], "Tick the accounts")):
        response = _save(client_in, name, ids)
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert words in json.loads(response.content)["error"]  # type: ignore[attr-defined]
    assert not TargetGroup.objects.exists()
    # Without the script: back to the composer with the reason as a message.
    response = _save(client_in, "", [a.pk], as_json=False)
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = client_in.get(reverse("publishing:compose")).content.decode()
    assert "Give the group a name" in page


def test_groups_are_private_and_skip_accounts_gone(client_in: Client, owner: User,
                                                   other: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    theirs = TargetGroup.objects.create(user=other, name="Theirs", connection_ids=[a.pk])
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert "Theirs" not in html
    client_in.post(reverse("publishing:group_delete", args=[theirs.pk]))
    assert TargetGroup.objects.filter(pk=theirs.pk).exists()
    account(owner, "@c@fake.example")
    mine = TargetGroup.objects.create(user=owner, name="Pair", connection_ids=[a.pk, b.pk])
    _disconnect(b)
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert f'data-tick="{a.pk}" data-group="{mine.pk}"' in html
    _disconnect(a)
    account(owner, "@d@fake.example")
    assert "Pair" not in client_in.get(reverse("publishing:compose")).content.decode()
    client_in.post(reverse("publishing:group_delete", args=[mine.pk]))
    assert not TargetGroup.objects.filter(pk=mine.pk).exists()


def test_the_panel_carries_visibility_and_language(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    html = client_in.get(PANEL).content.decode()
    assert 'name="visibility"' in html
    assert 'name="language"' in html
    response = client_in.post(PANEL, {"text": "quietly", "targets": [a.pk], "action": "now",
                                      "visibility": "unlisted", "language": "pt"})
    assert response.status_code == 201
    post = Post.objects.get()
    assert (post.visibility, post.language) == ("unlisted", "pt")
    refused = client_in.post(PANEL, {"text": "odd", "targets": [a.pk], "action": "now",
                                     "visibility": "everyone"})
    assert refused.status_code == 400
    assert "odd" in refused.content.decode()


def test_settings_list_the_groups_and_remove_one(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    group = TargetGroup.objects.create(user=owner, name="Work", connection_ids=[a.pk, b.pk])
    html = client_in.get(reverse("accounts:settings")).content.decode()
    assert "Work" in html
    assert "@a@fake.example" in html
    delete = reverse("publishing:group_delete", args=[group.pk])
    assert f'action="{delete}"' in html
    response = client_in.post(delete, {"next": "/accounts/settings/#groups"})
    assert response["Location"] == "/accounts/settings/#groups"
    assert not TargetGroup.objects.exists()
    # A next address off the hub is not followed.
    other = TargetGroup.objects.create(user=owner, name="Home", connection_ids=[a.pk])
    response = client_in.post(reverse("publishing:group_delete", args=[other.pk]),
                              {"next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("accounts:settings")


def test_answering_ones_own_post_does_not_mention_oneself(client_in: Client,
                                                          owner: User) -> None:
    b = account(owner, "@b@fake.example")
    theirs = _item(b.pk, b)
    html = client_in.get(PANEL, {"reply_to": theirs.pk}).content.decode()
    # An account of the account's own server, named "@bob" as Mastodon's client names it.
    assert "@bob </textarea>" in html
    mine = Item.objects.create(
        connection=b, network="fake", remote_id="mine-1", author_handle="@B@fake.example",
        author_name="Me", text="my own", html="<p>my own</p>", kind="post",
        url="https://fake.example/@b/2", created_at=timezone.now())
    html = client_in.get(PANEL, {"reply_to": mine.pk}).content.decode()
    assert "@B@fake.example </textarea>" not in html
    assert "Replying to" in html


def test_an_account_sent_without_the_pictures_says_so(client_in: Client, owner: User) -> None:
    """An account that cannot carry pictures (a Nostr account with no media server) gets the
    post without them: its line says that, not 'own version'."""
    from django.core.files.base import ContentFile

    from hubbub.publishing.models import PostMedia

    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    c = account(owner, "@c@fake.example")
    post = Post.objects.create(user=owner, text="two pictures")
    ids = []
    for n in range(2):
        media = PostMedia(post=post, mime_type="image/png", alt_text=f"p{n}", width=8,
                          height=6, position=n)
        media.file.save(f"p{n}.png", ContentFile(png().read()), save=False)
        media.save()
        ids.append(media.pk)
    for connection, override in ((a, None), (b, []), (c, ids[:1])):
        post.deliveries.create(connection=connection, state=DeliveryState.SENT,
                               due_at=timezone.now(), media_override=override)
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert "· without the pictures" in html
    assert "· 1 of the 2 pictures" in html
    assert "own version" not in html
