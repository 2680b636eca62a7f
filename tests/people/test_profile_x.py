"""X profiles for the People suggestions, against the X stand-in (tests/peers/x, which checks
every request and answer against X's OpenAPI document): /2/users/by gives the website and the
bio's addresses through t.co, read as typed (expanded_url); unknown and malformed usernames are
not found; the profile-link suggestion between an X and a Mastodon account; the daily bound on
profile reads (X bills each) and the cap pausing them without giving anyone up. And the People
page saying why LinkedIn, Facebook, Threads and Instagram profiles give nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.networks.errors import Rejected
from hubbub.networks.x import costs
from hubbub.people import profiles, suggest
from hubbub.people.models import AuthorProfile, ProfileScan
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from hubbub.timeline.selectors import ensure_feed
from tests.integration.x_support import CALLBACK, XWorld, make_x_world
from tests.peers.x.peer import XPeer
from tests.timeline.conftest import connection_of, make_connection, net_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch) -> XWorld:
    costs.forget_checks()
    return make_x_world(x_peer, monkeypatch, (CALLBACK,))


def _post(feed: Feed, n: int, handle: str, name: str, url: str) -> None:
    item = net_item(n, at=timezone.now() - timedelta(minutes=n), prefix=f"{feed.pk}-")
    ingest(feed, [replace(item, author_handle=handle, author_name=name,
                          extra={**item.extra, "author_url": url})])


def test_x_profiles_are_read_as_typed(x_world: XWorld) -> None:
    peer = x_world.peer
    peer.create_user("ana_draws", name="Ana Lima", url="https://ana.example/",
                     description="Painter. Also https://social.example/@ana and bo@fedi.example")
    peer.create_user("quiet_one", name="Quiet")
    account = x_world.account()
    found = x_world.connector.read_profiles(account, ["ana_draws", "quiet_one", "nobody_here",
                                                      "not-a-username!"])
    by_handle = {p.handle: p for p in found}
    ana = by_handle["ana_draws"]
    assert ana.found
    assert [(link.value, link.where) for link in ana.links] == [
        ("https://ana.example/", "website"), ("https://social.example/@ana", "bio"),
        ("bo@fedi.example", "bio")]  # t.co links named nobody: the addresses as typed
    assert not any("t.co" in link.value for link in ana.links)
    assert set(ana.aliases) == {"https://x.com/ana_draws", "https://twitter.com/ana_draws"}
    assert by_handle["quiet_one"].found
    assert not by_handle["quiet_one"].links
    assert not by_handle["nobody_here"].found
    assert not by_handle["not-a-username!"].found
    assert peer.validation_errors() == []


def test_an_x_profile_linking_a_mastodon_account_is_suggested(alice: User,
                                                             x_world: XWorld) -> None:
    x_world.peer.create_user("ana_draws", name="Ana Lima",
                             description="more at https://social.example/@ana")
    x = connection_of(alice, "x", x_world.account())
    _post(ensure_feed(x, "home"), 1, "@ana_draws", "Ana Lima", "https://x.com/ana_draws")
    mastodon = ensure_feed(make_connection(alice, network="mastodon"), "home")
    _post(mastodon, 2, "@ana@social.example", "Ana L.", "https://social.example/@ana")
    assert profiles.refresh(x) == 1
    [found] = suggest.suggestions(alice)
    assert found.key.startswith("links:")
    assert {a.value for a in found.accounts} == {"x ana_draws", "mastodon ana@social.example"}
    assert found.reasons == ["Ana Lima's X bio mentions the Mastodon account ana@social.example"]


def test_x_profile_reads_are_bounded_a_day(alice: User, x_world: XWorld,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBBUB_X_PROFILE_READS_PER_DAY", "2")
    for name in ("ana_a", "ana_b", "ana_c"):
        x_world.peer.create_user(name)
    x = connection_of(alice, "x", x_world.account())
    feed = ensure_feed(x, "home")
    for n, name in enumerate(("ana_a", "ana_b", "ana_c"), start=1):
        _post(feed, n, f"@{name}", name, f"https://x.com/{name}")
    ProfileScan.objects.create(connection=x, next_at=timezone.now())
    now = timezone.now()
    assert profiles.refresh(x, now) == 2
    assert profiles.refresh(x, now) == 0  # today's two are read: nothing asked
    assert AuthorProfile.objects.filter(connection=x).count() == 2
    scan = ProfileScan.objects.get(connection=x)
    tomorrow = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) \
        + timedelta(days=1)
    assert scan.next_at == tomorrow
    assert "today's 2 profile reads" in scan.last_error
    assert profiles.refresh(x, tomorrow + timedelta(minutes=1)) == 1
    monkeypatch.setenv("HUBBUB_X_PROFILE_READS_PER_DAY", "0")
    assert profiles.refresh(x, tomorrow + timedelta(days=8)) == 0


def test_over_the_cap_x_profiles_wait_and_nobody_is_given_up(
        alice: User, x_world: XWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    x_world.peer.create_user("ana_draws")
    x = connection_of(alice, "x", x_world.account())
    _post(ensure_feed(x, "home"), 1, "@ana_draws", "Ana", "https://x.com/ana_draws")
    ProfileScan.objects.create(connection=x, next_at=timezone.now())

    def over(account: object, feed: str) -> None:
        raise Rejected("Paused to stay under your cap")
    monkeypatch.setattr(costs, "check_cap", over)
    now = timezone.now()
    assert profiles.refresh(x, now) == 0
    scan = ProfileScan.objects.get(connection=x)
    assert "X profiles not read: Paused to stay under your cap" in scan.last_error
    assert scan.next_at >= now + timedelta(hours=5, minutes=59)  # waits, as for a rate limit
    for turn in range(1, 3):
        assert profiles.refresh(x, now + timedelta(hours=7 * turn)) == 0
    assert not AuthorProfile.objects.filter(connection=x).exists()  # nobody given up


def test_the_people_page_says_why_some_networks_give_nothing(alice: User) -> None:
    for network in ("linkedin", "facebook", "threads", "instagram", "x", "mastodon"):
        make_connection(alice, network=network)
    client = Client()
    client.force_login(alice)
    page = client.get("/people/").content.decode()
    assert "LinkedIn profiles give the suggestions nothing" in page
    assert "Facebook profiles give the suggestions nothing" in page
    assert "Threads profiles are not read" in page
    assert "Instagram profiles are not read" in page
    assert page.count("data-profiles-not-read") == 4  # X and Mastodon profiles are read
