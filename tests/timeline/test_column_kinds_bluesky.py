"""Bluesky's hashtag and custom-feed columns against the dev-env network: the AppView answers
searchPosts for a tag and getFeed by asking a real feed generator (dev-env's TestFeedGen, run
by peers/bluesky/start.mjs) for its skeleton. Columns show posts made on the network, polling
adds new ones, paging ends, bad feeds are a sentence in the column."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hubbub.networks.base import Draft, Item
from hubbub.networks.bluesky import connector as connector_module
from hubbub.networks.bluesky.feeds import feed_reference
from hubbub.networks.errors import Rejected
from hubbub.timeline.feedkinds import available_kinds, feed_key
from hubbub.timeline.models import Feed
from hubbub.timeline.polling import load_older, poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.integration.bluesky_support import CONNECTOR, Person, person, wait_for
from tests.peers.bluesky import BlueskyPeer, now_iso
from tests.timeline.conftest import connection_of, make_column

pytestmark = pytest.mark.django_db(transaction=True)


def _has(who: Person, feed: str, remote_id: str) -> list[Item]:
    return [i for i in CONNECTOR.fetch(who.account, feed).items if i.remote_id == remote_id]


def _generator(peer: BlueskyPeer, owner: Person, rkey: str) -> str:
    """Publish a feed generator record naming the peer's feed generator; its at:// URI."""
    assert peer.feedgen_did, "the Bluesky peer runs no feed generator"
    peer.xrpc("POST", "com.atproto.repo.putRecord", token=owner.seeded.access_jwt, json_body={
        "repo": owner.did, "collection": "app.bsky.feed.generator", "rkey": rkey,
        "record": {"did": peer.feedgen_did, "displayName": rkey, "createdAt": now_iso()}})
    uri = f"at://{owner.did}/app.bsky.feed.generator/{rkey}"
    wait_for(lambda: peer.xrpc_raw("GET", "app.bsky.feed.getFeedGenerator", params={"feed": uri},
                                   token=owner.seeded.access_jwt).status_code == 200, 30)
    return uri


def test_hashtag_column_shows_tagged_posts(bluesky_peer: BlueskyPeer) -> None:
    user = User.objects.create_user("tagger")
    reader, writer = person(bluesky_peer, "tagreader"), person(bluesky_peer, "tagwriter")
    tag = f"kiwi{writer.did[-6:].lower().replace(':', '')}"
    tagged = CONNECTOR.publish(writer.account, Draft(f"birds #{tag} today"), "k-tag-1", ())
    CONNECTOR.publish(writer.account, Draft(f"no tag, only {tag}"), "k-tag-2", ())
    connection = connection_of(user, "bluesky", reader.account)
    assert {"hashtag", "feed"} <= set(available_kinds(connection))
    feed = ensure_feed(connection, feed_key(connection, "hashtag", f"#{tag}"))
    assert feed.key == f"hashtag:{tag}"
    wait_for(lambda: _has(reader, feed.key, tagged.remote_id), 30)
    column = make_column(user, [feed])
    poll_feed(feed)
    assert [i.remote_id for i in column_page(column)] == [tagged.remote_id]
    later = CONNECTOR.publish(writer.account, Draft(f"#{tag} again"), "k-tag-3", ())
    wait_for(lambda: _has(reader, feed.key, later.remote_id), 30)
    assert poll_feed(feed).new_in_feed == 1
    assert [i.remote_id for i in column_page(column)] == [later.remote_id, tagged.remote_id]


def test_custom_feed_column_reads_a_feed_generator_through_the_appview(
        bluesky_peer: BlueskyPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    user = User.objects.create_user("feeder")
    owner = writer = person(bluesky_peer, "feedowner")  # the feed lists its owner's posts
    uri = _generator(bluesky_peer, owner, "hubbub-by-owner")
    posted = [CONNECTOR.publish(writer.account, Draft(f"into the feed {n}"), f"k-feed-{n}", ())
              for n in range(3)]
    wait_for(lambda: _has(owner, f"feed:{uri}", posted[-1].remote_id), 30)
    # Its bsky.app address names the same feed (the handle resolved to the DID).
    link = f"https://bsky.app/profile/{owner.handle}/feed/hubbub-by-owner"
    assert _has(owner, f"feed:{link}", posted[-1].remote_id)
    monkeypatch.setattr(connector_module, "PAGE_SIZE", 2)
    feed = ensure_feed(connection_of(user, "bluesky", owner.account), f"feed:{uri}")
    column = make_column(user, [feed])
    assert poll_feed(feed).new_in_feed == 2
    for _ in range(5):
        if not load_older(Feed.objects.get(pk=feed.pk)):
            break
    assert Feed.objects.get(pk=feed.pk).exhausted
    shown = [i.remote_id for i in column_page(column, limit=200)]
    assert shown == [p.remote_id for p in reversed(posted)]
    assert len(shown) == len(set(shown))
    newest = CONNECTOR.publish(writer.account, Draft("fresh in the feed"), "k-feed-new", ())
    wait_for(lambda: _has(owner, f"feed:{uri}", newest.remote_id), 30)
    assert poll_feed(Feed.objects.get(pk=feed.pk)).new_in_feed >= 1
    assert column_page(column)[0].remote_id == newest.remote_id


def test_bad_custom_feeds_are_sentences_in_the_column(bluesky_peer: BlueskyPeer) -> None:
    user = User.objects.create_user("unlucky-feeder")
    owner = person(bluesky_peer, "badfeeds")
    broken = _generator(bluesky_peer, owner, "hubbub-broken")
    unknown = _generator(bluesky_peer, owner, "hubbub-nothing")
    connection = connection_of(user, "bluesky", owner.account)
    for value, said in (
        ("not a feed", "is not a Bluesky custom feed"),
        ("at://did:plc:abc/app.bsky.feed.post/xyz", "is not a Bluesky custom feed"),
        ("https://bsky.app/profile/nobody.test/feed/x", "knows no account"),
        (broken, "could not be read"),
        (unknown, "could not be read"),
        (f"at://{owner.did}/app.bsky.feed.generator/never-made", "no custom feed"),
    ):
        feed = ensure_feed(connection, f"feed:{value}")
        result = poll_feed(feed)
        assert said in result.error, (value, result.error)
        assert Feed.objects.get(pk=feed.pk).last_error == result.error


def test_feed_references() -> None:
    assert feed_reference("https://bsky.app/profile/a.test/feed/cats") == ("a.test", "cats")
    assert feed_reference(" at://did:plc:x/app.bsky.feed.generator/cats ") == ("did:plc:x", "cats")
    for bad in ("", "at://did:plc:x/app.bsky.graph.list/l", "https://bsky.app/profile/a/post/1",
                "javascript:alert(1)", "https://bsky.app/profile/a b/feed/c", "\ud800",
                "https://bsky.app/profile/a.test/feed/..", "at://x\x00/app.bsky.feed.generator/c"):
        with pytest.raises(Rejected, match="is not a Bluesky custom feed"):
            feed_reference(bad)


def test_list_column_by_its_bsky_app_link(bluesky_peer: BlueskyPeer) -> None:
    user = User.objects.create_user("list-linker")
    owner, member = person(bluesky_peer, "listowner"), person(bluesky_peer, "listmember")
    made = bluesky_peer.create_record(owner.seeded, "app.bsky.graph.list", {
        "purpose": "app.bsky.graph.defs#curatelist", "name": "Birders", "createdAt": now_iso()})
    bluesky_peer.create_record(owner.seeded, "app.bsky.graph.listitem", {
        "subject": member.did, "list": made["uri"], "createdAt": now_iso()})
    post = CONNECTOR.publish(member.account, Draft("a heron at dawn"), "k-list-link", ())
    link = f"https://bsky.app/profile/{owner.handle}/lists/{made['uri'].rsplit('/', 1)[1]}"
    wait_for(lambda: _has(owner, f"list:{link}", post.remote_id), 30)
    feed = ensure_feed(connection_of(user, "bluesky", owner.account), f"list:{link}")
    column = make_column(user, [feed])
    assert poll_feed(feed).new_in_feed == 1
    assert [i.remote_id for i in column_page(column)] == [post.remote_id]
    bad = poll_feed(ensure_feed(feed.connection, "list:https://bsky.app/profile/x/feed/y"))
    assert "is not a Bluesky list" in bad.error
