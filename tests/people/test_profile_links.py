"""Profile-link suggestions without a network (what each profile gives is read in
test_profile_readers.py): the suggestions links make (one way, both ways, verified, add to a
person, dismissed, another user's reads never used), kept for the page and computed again
when stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks.errors import (
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.profile_links import Link, Profile
from hubbub.people import profiles, services, suggest
from hubbub.people.models import AuthorProfile, ProfileScan, SuggestionCache
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from hubbub.timeline.selectors import ensure_feed
from tests.people.test_profile_readers import NPUB
from tests.timeline.conftest import make_connection, net_item

pytestmark = pytest.mark.django_db



def _feed(user: User, network: str) -> Feed:
    return ensure_feed(make_connection(user, network=network), "home")


def _post(feed: Feed, n: int, handle: str, name: str, url: str) -> None:
    item = net_item(n, at=timezone.now() - timedelta(minutes=n), prefix=f"{feed.pk}-")
    ingest(feed, [replace(item, author_handle=handle, author_name=name,
                          extra={**item.extra, "author_url": url})])


def _read(feed: Feed, handle: str, *found: Link) -> None:
    profiles.store(feed.connection, [Profile(handle, True, found)], timezone.now())


def _ana(user: User) -> tuple[Feed, Feed]:
    m, b = _feed(user, "mastodon"), _feed(user, "bluesky")
    _post(m, 1, "@ana@social.example", "Ana L.", "https://social.example/@ana")
    _post(b, 2, "@ana.bsky.social", "ana 🎨", "https://bsky.app/profile/ana.bsky.social")
    _post(b, 3, "@bo.bsky.social", "Bo", "https://bsky.app/profile/bo.bsky.social")
    return m, b


def test_one_way_link_is_suggested_with_its_reason(alice: User) -> None:
    m, _b = _ana(alice)
    assert all(s.key.startswith("name:") for s in suggest.suggestions(alice))
    _read(m, "ana@social.example",
          Link("https://bsky.app/profile/ana.bsky.social", "profile field “Bluesky”"))
    [found] = suggest.suggestions(alice)
    assert found.key.startswith("links:")
    assert found.name == "Ana L."
    assert {a.value for a in found.accounts} == {"mastodon ana@social.example",
                                                 "bluesky ana.bsky.social"}
    assert found.reasons == ["Ana L.'s Mastodon profile links to their Bluesky "
                             "(ana.bsky.social; profile field “Bluesky”)"]
    assert not found.strong
    person = suggest.confirm(alice, found.key, [a.value for a in found.accounts])
    assert sorted(a.handle for a in person.accounts.all()) == ["ana.bsky.social",
                                                               "ana@social.example"]
    assert suggest.suggestions(alice) == []


def test_both_ways_or_verified_is_strong(alice: User) -> None:
    m, b = _ana(alice)
    _read(m, "ana@social.example", Link("https://bsky.app/profile/ana.bsky.social", "bio"))
    _read(b, "ana.bsky.social", Link("@ana@social.example", "bio"))
    [found] = suggest.suggestions(alice)
    assert found.strong
    assert found.reasons == ["ana 🎨's Bluesky and Mastodon profiles link to each other"]
    _read(b, "ana.bsky.social")  # read again: no link back now, but Mastodon verified its own
    _read(m, "ana@social.example",
          Link("https://bsky.app/profile/ana.bsky.social", "profile field “Bluesky”", True))
    [found] = suggest.suggestions(alice)
    assert found.strong
    assert found.reasons[0].endswith("profile field “Bluesky”, verified by Mastodon)")


def test_a_link_to_a_persons_account_offers_to_add_to_them(alice: User) -> None:
    _m, b = _ana(alice)
    ana = services.create_person(alice, "Ana")
    services.add_account(ana, "mastodon", "@ana@social.example")
    _read(b, "ana.bsky.social", Link("https://social.example/@ana", "bio"))
    [found] = [s for s in suggest.suggestions(alice) if s.key.startswith("links:")]
    assert found.person == ana
    assert [a.value for a in found.accounts] == ["bluesky ana.bsky.social"]


def test_dismissed_and_other_users_reads_are_left_out(alice: User, bob: User) -> None:
    m, _b = _ana(alice)
    bob_m, _bob_b = _ana(bob)
    _read(bob_m, "ana@social.example", Link("https://bsky.app/profile/ana.bsky.social", "bio"))
    assert all(s.key.startswith("name:") for s in suggest.suggestions(alice))
    [found] = suggest.suggestions(bob)
    suggest.dismiss(bob, found.key)
    assert suggest.suggestions(bob) == []
    _read(m, "ana@social.example", Link("https://bsky.app/profile/bo.bsky.social", "bio"))
    [other] = suggest.suggestions(alice)
    assert {a.handle for a in other.accounts} == {"ana@social.example", "bo.bsky.social"}


def test_the_page_reads_kept_suggestions_and_computes_them_again_when_stale(
        alice: User, client: Client) -> None:
    m, _b = _ana(alice)
    client.force_login(alice)
    assert "Ana L.: one person?" not in client.get("/people/").content.decode()
    kept = SuggestionCache.objects.get(user=alice)
    # A profile read marks them changed; the page shows what was kept until they are computed.
    _read(m, "ana@social.example", Link("https://bsky.app/profile/ana.bsky.social", "bio"))
    assert SuggestionCache.objects.get(pk=kept.pk).dirty
    assert "Ana L.: one person?" not in client.get("/people/").content.decode()
    assert suggest.claim_stale() == [alice.pk]
    assert suggest.claim_stale() == []  # claimed once
    suggest.recompute(alice.pk)
    page = client.get("/people/").content.decode()
    assert "Ana L.: one person?" in page
    assert "Ana L.&#x27;s Mastodon bio mentions the Bluesky account ana.bsky.social" in page
    assert "One profile links to the other, not back" in page
    # Confirmed from the page: gone at once, before any computing.
    key = suggest.for_page(alice)[0].key
    client.post("/people/suggestions/confirm/", {
        "key": key, "account": ["mastodon ana@social.example", "bluesky ana.bsky.social"]})
    assert "Ana L.: one person?" not in client.get("/people/").content.decode()
    # Nothing new and not changed: not computed again, only marked checked.
    SuggestionCache.objects.filter(user=alice).update(
        dirty=False, computed_at=timezone.now() - timedelta(minutes=5))
    client.get("/people/")
    assert suggest.claim_stale() == []


def test_profiles_due_are_bounded_and_skip_fresh_reads(alice: User) -> None:
    feed = _feed(alice, "mastodon")
    for n in range(40):
        _post(feed, n + 1, f"@p{n}@social.example", f"P {n}", f"https://social.example/@p{n}")
    now = timezone.now()
    due = profiles.due_authors(feed.connection, now)
    assert len(due) == profiles.BATCH
    assert due[0] == "p39@social.example"  # the author of the item stored last first
    profiles.store(feed.connection, [Profile(h, found=False) for h in due], now)
    assert set(profiles.due_authors(feed.connection, now)).isdisjoint(due)
    assert len(profiles.due_authors(feed.connection, now)) == 40 - profiles.BATCH
    later = now + profiles.MAX_AGE + timedelta(minutes=1)
    assert len(profiles.due_authors(feed.connection, later)) == profiles.BATCH


def test_scans_are_claimed_once(alice: User) -> None:
    connection = make_connection(alice, network="mastodon")
    assert connection.pk in profiles.claim_due()
    assert connection.pk not in profiles.claim_due()
    later = timezone.now() + profiles.SCAN_EVERY + timedelta(seconds=1)
    assert connection.pk in profiles.claim_due(later)
    Connection.objects.filter(pk=connection.pk).update(disconnected_at=timezone.now())
    assert connection.pk not in profiles.claim_due(later + profiles.SCAN_EVERY * 2)
    assert AuthorProfile.objects.count() == 0


def test_turns_follow_what_was_due(alice: User) -> None:
    """Nothing due: the next turn in a minute, no request made; a network without profile
    reading: asked again a day later."""
    feed = _feed(alice, "mastodon")
    connection = feed.connection
    now = timezone.now()
    profiles.claim_due(now)
    assert profiles.refresh(connection, now) == 0
    scan = ProfileScan.objects.get(connection=connection)
    assert scan.next_at == now + profiles.NONE_AFTER
    scripted = _feed(alice, "scripted")  # tests/timeline/scripted.py: no profile_links
    _post(scripted, 1, "@someone", "Someone", "https://scripted.example/someone")
    profiles.claim_due(now)
    assert profiles.refresh(scripted.connection, now) == 0
    assert ProfileScan.objects.get(connection=scripted.connection).next_at == (
        now + profiles.NOT_OFFERED_AGAIN)


def test_an_author_without_a_name_can_be_linked_to(alice: User) -> None:
    m, n = _feed(alice, "mastodon"), _feed(alice, "nostr")
    _post(m, 1, "@ana@social.example", "Ana L.", "https://social.example/@ana")
    _post(n, 2, NPUB, "", f"https://njump.me/{NPUB}")
    assert suggest.suggestions(alice) == []
    _read(m, "ana@social.example", Link(f"nostr:{NPUB}", "bio"))
    [found] = suggest.suggestions(alice)
    assert found.name == "Ana L."
    assert {a.value for a in found.accounts} == {"mastodon ana@social.example",
                                                 f"nostr {NPUB}"}


def test_a_key_shown_as_a_name_does_not_name_the_suggestion(alice: User) -> None:
    """A Nostr author whose profile was not read yet shows its npub as its name: the link from
    it names the suggestion by the other account's name, not by the key."""
    m, n = _feed(alice, "mastodon"), _feed(alice, "nostr")
    _post(m, 1, "@ana@social.example", "Ana Lima", "https://social.example/@ana")
    _post(n, 2, NPUB, NPUB[:12] + "…" + NPUB[-4:], f"https://njump.me/{NPUB}")
    _read(n, NPUB, Link("https://social.example/@ana", "bio"))
    [found] = suggest.suggestions(alice)
    assert found.name == "Ana Lima"
    assert suggest._a_name(NPUB, NPUB) is False
    assert suggest._a_name("@Ana@Social.example", "@ana@social.example") is False
    assert suggest._a_name("Ana", "@ana@social.example") is True


def test_a_dismissed_pair_stays_out_and_a_bio_mention_is_a_pair_of_its_own(alice: User) -> None:
    """Dismissing Ana's Mastodon and Bluesky keeps that pair out; Bo's Bluesky bio naming her
    Mastodon (one way, not verified) is a pair of its own, not merged with hers, and not said
    to be Bo's own account."""
    m, b = _ana(alice)
    _read(m, "ana@social.example", Link("https://bsky.app/profile/ana.bsky.social", "bio"))
    _read(b, "ana.bsky.social", Link("@ana@social.example", "bio"))
    [found] = suggest.suggestions(alice)
    suggest.dismiss(alice, found.key)
    assert suggest.suggestions(alice) == []
    _read(b, "bo.bsky.social", Link("@ana@social.example", "bio"))
    [other] = suggest.suggestions(alice)
    assert {a.value for a in other.accounts} == {"bluesky bo.bsky.social",
                                                 "mastodon ana@social.example"}
    assert other.reasons == ["Bo's Bluesky bio mentions the Mastodon account "
                             "ana@social.example"]
    assert not other.strong
    # Dismissed too; the two pairs dismissed, nothing joins them again.
    suggest.dismiss(alice, other.key)
    assert suggest.suggestions(alice) == []


def test_one_way_links_do_not_chain_accounts_into_one_suggestion(alice: User) -> None:
    """Ana's profiles link each other; Cy's bio mentions Ana's Bluesky: Ana's pair is one
    suggestion and Cy's mention another, each of two accounts."""
    m, b = _ana(alice)
    n = _feed(alice, "nostr")
    _post(n, 4, NPUB, "Cy", f"https://njump.me/{NPUB}")
    _read(m, "ana@social.example", Link("https://bsky.app/profile/ana.bsky.social", "bio"))
    _read(b, "ana.bsky.social", Link("@ana@social.example", "bio"))
    _read(n, NPUB, Link("https://bsky.app/profile/ana.bsky.social", "bio"))
    found = suggest.suggestions(alice)
    assert [sorted(a.value for a in s.accounts) for s in found] == [
        ["bluesky ana.bsky.social", "mastodon ana@social.example"],
        ["bluesky ana.bsky.social", f"nostr {NPUB}"]]
    assert [s.strong for s in found] == [True, False]


def test_a_batch_that_fails_twice_moves_on(alice: User, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """A batch the network refuses turn after turn (a Bluesky getProfiles answering 400, a
    relay error): the first failure waits for the next turn, the second keeps the batch as not
    found (read again after MAX_AGE), so the next turn reads the authors after it."""
    feed = _feed(alice, "mastodon")
    for n in range(30):
        _post(feed, n + 1, f"@p{n}@social.example", f"P {n}", f"https://social.example/@p{n}")
    connection = feed.connection
    asked: list[list[str]] = []

    def refused(_connection: Connection, handles: list[str]) -> list[Profile]:
        asked.append(handles)
        raise Rejected("400 invalid actor")

    monkeypatch.setattr(profiles, "_read", refused)
    now = timezone.now()
    profiles.claim_due(now)
    first = profiles.due_authors(connection, now)
    # A rate limit, or credentials that no longer work, are not the authors' fault: they
    # never count as the failure before.
    for not_theirs in (RateLimited("429", now), Revoked("401")):
        ProfileScan.objects.filter(connection=connection).update(last_error="earlier")

        def failing(_connection: Connection, _handles: list[str],
                    error: Exception = not_theirs) -> list[Profile]:
            raise error

        monkeypatch.setattr(profiles, "_read", failing)
        assert profiles.refresh(connection, now) == 0
    assert AuthorProfile.objects.count() == 0
    monkeypatch.setattr(profiles, "_read", refused)
    assert profiles.refresh(connection, now) == 0
    assert ProfileScan.objects.get(connection=connection).last_error
    assert AuthorProfile.objects.count() == 0
    assert profiles.refresh(connection, now + profiles.SCAN_EVERY) == 0
    assert asked == [first, first]
    assert set(AuthorProfile.objects.filter(found=False).values_list("handle", flat=True)) == (
        set(first))
    later = now + profiles.SCAN_EVERY * 2
    assert set(profiles.due_authors(connection, later)).isdisjoint(first)
    assert len(profiles.due_authors(connection, later)) == 30 - profiles.BATCH
    # The mark is cleared once the batch is given up: the next batch's first refusal waits.
    assert not ProfileScan.objects.get(connection=connection).last_error.startswith(
        profiles.BATCH_FAILED)
    assert profiles.refresh(connection, later) == 0
    assert AuthorProfile.objects.count() == profiles.BATCH
    assert profiles.refresh(connection, later + profiles.SCAN_EVERY) == 0
    assert AuthorProfile.objects.filter(found=False).count() == 30


@pytest.mark.parametrize("down", [Transient("503 server down"), OutcomeUnknown("timed out")],
                         ids=["5xx", "timeout"])
def test_a_server_down_for_turns_gives_nobody_up(alice: User, monkeypatch: pytest.MonkeyPatch,
                                                 down: Exception) -> None:
    """A network down for several turns (read_with raising after its failures in a row), even
    after a refused turn, keeps no author as not found: they are all read once it is back."""
    feed = _feed(alice, "mastodon")
    for n in range(60):
        _post(feed, n + 1, f"@p{n}@social.example", f"P {n}", f"https://social.example/@p{n}")
    connection = feed.connection

    def failing(_connection: Connection, _handles: list[str]) -> list[Profile]:
        raise down

    def refused(_connection: Connection, _handles: list[str]) -> list[Profile]:
        raise Rejected("400 invalid actor")

    now = timezone.now()
    profiles.claim_due(now)
    monkeypatch.setattr(profiles, "_read", refused)
    assert profiles.refresh(connection, now) == 0
    monkeypatch.setattr(profiles, "_read", failing)
    for turn in range(1, 4):  # a 20-30 minute outage
        assert profiles.refresh(connection, now + profiles.SCAN_EVERY * turn) == 0
        scan = ProfileScan.objects.get(connection=connection)
        assert not scan.last_error.startswith(profiles.BATCH_FAILED)
        assert scan.next_at == now + profiles.SCAN_EVERY * (turn + 1)
    assert AuthorProfile.objects.count() == 0
    back = now + profiles.SCAN_EVERY * 4

    def answering(_connection: Connection, handles: list[str]) -> list[Profile]:
        return [Profile(h, found=True) for h in handles]

    monkeypatch.setattr(profiles, "_read", answering)
    while profiles.due_authors(connection, back):
        assert profiles.refresh(connection, back) > 0
    assert AuthorProfile.objects.count() == 60
    assert not AuthorProfile.objects.filter(found=False).exists()


@pytest.mark.parametrize("first", [True, False], ids=["first-look", "claimed-stale"])
def test_a_change_while_the_suggestions_are_computed_is_not_lost(
        alice: User, monkeypatch: pytest.MonkeyPatch, first: bool) -> None:
    """A profile read that lands while the suggestions are being computed marks them changed,
    and the computing that ends afterwards leaves that mark, so they are computed again (the
    computed copy does not hold what was read)."""
    m, _b = _ana(alice)
    if not first:
        suggest.for_page(alice)
        SuggestionCache.objects.filter(user=alice).update(dirty=True)
        assert suggest.claim_stale() == [alice.pk]
        assert not SuggestionCache.objects.get(user=alice).dirty
    compute = suggest.suggestions

    def with_a_read_meanwhile(user: User, limit: int | None = suggest.MAX_SUGGESTIONS
                              ) -> list[suggest.Suggestion]:
        found = compute(user, limit)
        _read(m, "ana@social.example", Link("https://bsky.app/profile/ana.bsky.social", "bio"))
        return found

    monkeypatch.setattr(suggest, "suggestions", with_a_read_meanwhile)
    if first:
        kept = suggest.for_page(alice)
    else:
        suggest.recompute(alice.pk)
        kept = suggest.for_page(alice)
    assert all(s.key.startswith("name:") for s in kept)
    assert SuggestionCache.objects.get(user=alice).dirty
    monkeypatch.setattr(suggest, "suggestions", compute)
    suggest.for_page(alice)  # looked at again: the changed copy is computed again
    assert suggest.claim_stale() == [alice.pk]
    suggest.recompute(alice.pk)
    assert [s.key[:6] for s in suggest.for_page(alice)] == ["links:"]
