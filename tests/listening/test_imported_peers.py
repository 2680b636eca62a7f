"""Importing what a person already muted, against the real servers: the Mastodon mock (v2
filters, mutes, blocks), the Bluesky dev network (muted words through putPreferences, a muted
account through muteActor) and a Nostr relay (a kind-10000 mute list). The imported rules hide
the muted authors' and words' items, stored before and arriving after; importing again replaces
them."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.listening import apply, imported
from hubbub.listening.models import Rule
from hubbub.networks.base import Account
from hubbub.networks.nostr import keys
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.timeline.conftest import connection_of, make_column
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def _import(user: User, connection: Connection) -> str:
    web = Client()
    web.force_login(user)
    response = web.post(reverse("listening:import_mutes", args=[connection.pk]))
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def _rules(user: User) -> dict[str, Rule]:
    return {r.name: r for r in Rule.objects.filter(user=user)}


def _poll(feed: Feed) -> None:
    poll_feed(Feed.objects.select_related("connection").get(pk=feed.pk))


def test_mastodon_filters_mutes_and_blocks(mastodon_peer: Any) -> None:
    user = User.objects.create_user("masto-importer")
    reader, noisy, blocked = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.follow(reader, noisy)
    connection = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=reader.id, handle=f"@{reader.username}@localhost")
    connection.credentials = {"access_token": reader.access_token}
    connection.save()
    home = ensure_feed(connection, "home")
    column = make_column(user, [home])
    mastodon_peer.post_as(noisy, "hello from the noisy one")
    _poll(home)
    assert [i.text for i in column_page(column)] == ["hello from the noisy one"]

    api = mastodon_peer._api
    made = api(reader.access_token, "POST", "/api/v2/filters", json={
        "title": "drinks", "context": ["home"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "coffee", "whole_word": True},
                                {"keyword": "espresso", "whole_word": False}]})
    assert made.status_code == 200, made.text
    warned = api(reader.access_token, "POST", "/api/v2/filters", json={
        "title": "sport", "context": ["notifications"], "filter_action": "warn",
        "expires_in": 86400, "keywords_attributes": [{"keyword": "football"}]})
    assert warned.status_code == 200, warned.text
    for target, verb in ((noisy, "mute"), (blocked, "block")):
        done = api(reader.access_token, "POST", f"/api/v1/accounts/{target.id}/{verb}")
        assert done.status_code == 200, done.text

    page = _import(user, connection)
    prefix = imported.prefix(connection)
    rules = _rules(user)
    assert prefix + "2 muted words" in rules
    assert rules[prefix + "2 muted words"].actions == [{"kind": "hide"}]
    authors = rules[prefix + "2 muted accounts"].conditions[0]
    assert sorted(authors["values"]) == sorted(f"{a.username}@localhost" for a in (noisy,
                                                                                    blocked))
    [sport] = [name for name in rules if "1 muted word until" in name]
    assert rules[sport].actions[0]["kind"] == "hide_until"
    assert "only warns on Mastodon" in page
    assert "whole word" in page
    assert "applied only to notifications" in page
    # "home" alone is a limit too (it used to pass unsaid), and one keyword is one keyword.
    assert "filter “drinks” applied only to home" in page
    assert "1 keyword matched inside words" in page
    assert "Imported 5 things as 3 hide rules" in page

    # What was stored before is hidden; what arrives afterwards too (the mock keeps showing a
    # muted account's posts in home: the rule hides them).
    apply.recompute(user.pk)
    assert column_page(column) == []
    mastodon_peer.post_as(noisy, "again from the noisy one")
    _poll(home)
    assert Item.objects.filter(connection=connection).count() >= 1
    assert column_page(column) == []

    # Importing again replaces the three rules instead of adding three more.
    again = _import(user, connection)
    assert "replace the 3 rules imported from this account before" in again
    assert len(_rules(user)) == 3


def test_bluesky_muted_words_and_accounts(bluesky_peer: Any) -> None:
    from tests.integration import bluesky_support as bluesky

    user = User.objects.create_user("sky-importer")
    reader, writer = bluesky.person(bluesky_peer, "ireader"), bluesky.person(bluesky_peer,
                                                                              "iwriter")
    bluesky_peer.follow(reader.seeded, writer.seeded)
    connection = connection_of(user, "bluesky", reader.account)
    home = ensure_feed(connection, "home")
    column = make_column(user, [home])
    from hubbub.networks.base import Draft

    bluesky.CONNECTOR.publish(writer.account, Draft("a post before the mute"), "m1", ())
    until(lambda: len(bluesky.CONNECTOR.fetch(reader.account, "home").items) >= 1,
          "the post in the reader's home")
    _poll(home)
    assert len(column_page(column)) == 1

    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    token = reader.seeded.access_jwt
    bluesky_peer.xrpc("POST", "app.bsky.actor.putPreferences", token=token, json_body={
        "preferences": [{"$type": "app.bsky.actor.defs#mutedWordsPref", "items": [
            {"value": "coffee", "targets": ["content", "tag"]},
            {"value": "rugby", "targets": ["tag"],
             "expiresAt": later.isoformat().replace("+00:00", "Z")},
            {"value": "old news", "targets": ["content"], "expiresAt": "2020-01-01T00:00:00Z"},
        ]}]})
    bluesky_peer.xrpc("POST", "app.bsky.graph.muteActor", token=token,
                      json_body={"actor": writer.did})
    until(lambda: any(m.value == writer.did for m in imported.read_found(connection).entries),
          "the mute in getMutes")

    page = _import(user, connection)
    prefix = imported.prefix(connection)
    rules = _rules(user)
    assert rules[prefix + "1 muted account"].conditions[0]["values"] == [writer.did]
    assert rules[prefix + "1 muted word"].conditions[0]["values"] == ["coffee"]
    assert rules[prefix + "1 muted hashtag"].conditions[0]["values"] == ["coffee"]
    [rugby] = [r for name, r in rules.items() if "until" in name]
    assert rugby.conditions[0] == {"kind": "hashtag", "values": ["rugby"], "negate": False}
    assert rugby.actions[0]["kind"] == "hide_until"
    assert "muted word “old news”: it has expired" in page

    apply.recompute(user.pk)
    assert column_page(column) == []  # the muted author's post, stored before the import


def test_bluesky_expired_session_is_refreshed(bluesky_peer: Any) -> None:
    """An access token past its end: refreshed once (and stored), then the import goes on."""
    from tests.integration import bluesky_support as bluesky

    user = User.objects.create_user("sky-expired")
    reader, other = bluesky.person(bluesky_peer, "ereader"), bluesky.person(bluesky_peer, "eother")
    bluesky_peer.xrpc("POST", "app.bsky.graph.muteActor", token=reader.seeded.access_jwt,
                      json_body={"actor": other.did})
    connection = connection_of(user, "bluesky", bluesky.expired_copy(reader.account))
    stale = connection.credentials["accessJwt"]
    until(lambda: "1 muted account" in _import(user, connection), "the mute imported")
    connection.refresh_from_db()
    assert connection.credentials["accessJwt"] != stale
    [rule] = _rules(user).values()
    assert rule.conditions[0]["values"] == [other.did]


def test_nostr_mute_list(nostr_peer: Any) -> None:
    user = User.objects.create_user("nostr-importer")
    me, noisy = nostr_peer.keygen(), nostr_peer.keygen()
    account = Account(base_url=nostr_peer.url,
                      credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]},
                      remote_id=me.pk, handle=keys.npub(me.pk))
    connection = connection_of(user, "nostr", account)
    tagged = ensure_feed(connection, "hashtag:hubimport")
    column = make_column(user, [tagged])
    start = int(time.time()) - 100
    mute_list = nostr_peer.sign(me, "", kind=10000, created_at=start, tags=[
        ["p", noisy.pk], ["t", "crypto"], ["word", "spoiler"], ["e", "ab" * 32]])
    assert nostr_peer.publish(mute_list).ok

    page = _import(user, connection)
    prefix = imported.prefix(connection)
    rules = _rules(user)
    assert rules[prefix + "1 muted account"].conditions[0]["values"] == [keys.npub(noisy.pk)]
    assert rules[prefix + "1 muted hashtag"].conditions[0]["values"] == ["crypto"]
    assert rules[prefix + "1 muted word"].conditions[0]["values"] == ["spoiler"]
    assert "1 muted threads (e tags)" in page

    # Notes arriving afterwards: the muted key's is hidden, the other shown.
    for n, (who, text) in enumerate(((noisy, "noise #hubimport"), (me, "signal #hubimport"))):
        note = nostr_peer.sign(who, text, created_at=start + 1 + n, tags=[["t", "hubimport"]])
        assert nostr_peer.publish(note).ok
    _poll(tagged)
    assert Item.objects.filter(connection=connection).count() == 2
    assert [i.text for i in column_page(column)] == ["signal #hubimport"]

    # A newer list with the key alone: importing again replaces the three rules with one.
    newer = nostr_peer.sign(me, "", kind=10000, created_at=start + 10, tags=[["p", noisy.pk]])
    assert nostr_peer.publish(newer).ok
    _import(user, connection)
    assert list(_rules(user)) == [prefix + "1 muted account"]


def test_mastodon_failures_import_nothing(mastodon_peer: Any) -> None:
    """A server error on the last of the three reads (blocks) keeps the earlier import whole;
    a revoked token says to reconnect. Neither is a 500."""
    user = User.objects.create_user("masto-failing")
    reader, noisy = mastodon_peer.new_account(), mastodon_peer.new_account()
    connection = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=reader.id, handle=f"@{reader.username}@localhost")
    connection.credentials = {"access_token": reader.access_token}
    connection.save()
    done = mastodon_peer._api(reader.access_token, "POST", f"/api/v1/accounts/{noisy.id}/mute")
    assert done.status_code == 200, done.text
    _import(user, connection)
    before = _rules(user)
    assert list(before) == [imported.prefix(connection) + "1 muted account"]
    mastodon_peer._api(reader.access_token, "POST", f"/api/v1/accounts/{noisy.id}/block")

    web = Client()
    web.force_login(user)
    url = reverse("listening:import_mutes", args=[connection.pk])
    mastodon_peer.add_fault({"type": "status", "status": 503,
                             "body": {"error": "down for repairs"}}, path="/api/v1/blocks")
    failed = web.post(url)
    assert failed.status_code == 200
    assert "Nothing was imported" in failed.content.decode()
    assert _rules(user) == before

    mastodon_peer.revoke(reader)
    revoked = web.post(url)
    assert revoked.status_code == 200
    assert "reconnect" in revoked.content.decode().lower()
    assert _rules(user) == before
