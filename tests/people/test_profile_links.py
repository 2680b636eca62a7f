"""Profile-link suggestions without a network: what each network's profile gives (Mastodon's
in the Account entity's documented shape, since the mock never verifies a field), which links
name which account, and the suggestions they make (one way, both ways, verified, add to a
person, dismissed, another user's reads never used), kept for the page and computed again
when stale."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from re import _constants as re_constants  # type: ignore[attr-defined]
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks import profile_links
from hubbub.networks.bluesky import profile_links as bluesky
from hubbub.networks.errors import (
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.mastodon import profile_links as mastodon
from hubbub.networks.nostr import keys
from hubbub.networks.nostr import profile_links as nostr
from hubbub.networks.profile_links import Link, Profile
from hubbub.people import links, profiles, services, suggest
from hubbub.people.models import AuthorProfile, ProfileScan, SuggestionCache
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_connection, net_item

pytestmark = pytest.mark.django_db

NPUB = keys.npub("ab" * 32)

# A Mastodon Account entity as Mastodon's API documents it: field values and the bio are HTML,
# a field whose page links back with rel="me" carries verified_at.
MASTODON_ACCOUNT = {
    "id": "109", "username": "ana", "acct": "ana@social.example",
    "display_name": "Ana Lima", "url": "https://social.example/@ana",
    "note": "<p>Painter. Also <a href=\"https://njump.me/" + NPUB + "\" rel=\"nofollow noopener"
            " noreferrer\" target=\"_blank\"><span class=\"invisible\">https://</span>"
            "njump.me/" + NPUB[:12] + "</a></p>",
    "fields": [
        {"name": "Bluesky", "value": "<a href=\"https://bsky.app/profile/ana.bsky.social\" "
         "target=\"_blank\" rel=\"nofollow noopener noreferrer me\" translate=\"no\"><span "
         "class=\"invisible\">https://</span><span class=\"\">bsky.app/profile/ana.bsky.social"
         "</span><span class=\"invisible\"></span></a>", "verified_at": "2026-11-02T10:00:00.000Z"},
        {"name": "Pronouns", "value": "she/her", "verified_at": None},
    ],
}


def test_mastodon_fields_and_bio() -> None:
    profile = mastodon.from_account("ana@social.example", MASTODON_ACCOUNT)
    by_value = {link.value: link for link in profile.links}
    bsky = by_value["https://bsky.app/profile/ana.bsky.social"]
    assert bsky == Link(bsky.value, "profile field “Bluesky”", verified=True)
    assert by_value[f"https://njump.me/{NPUB}"].where == "bio"
    assert not by_value[f"https://njump.me/{NPUB}"].verified
    assert profile.aliases == ("https://social.example/@ana",)


def test_mastodon_lookup_names_the_servers_own_accounts_bare() -> None:
    asked: list[str] = []

    class Api:
        def call(self, method: str, *args: object, **kwargs: object) -> object:
            asked.append(str(args[0]))
            return MASTODON_ACCOUNT

    found = mastodon.read_with(Api(), "https://social.example", ["ana@social.example",
                                                                 "bo@elsewhere.example"])
    assert asked == ["ana", "bo@elsewhere.example"]
    assert [p.found for p in found] == [True, True]


def test_bluesky_description_and_website() -> None:
    profile = bluesky.from_profile("ana.bsky.social", {
        "did": "did:plc:abc", "handle": "ana.bsky.social", "website": "https://ana.example",
        "description": "fediverse: @ana@social.example, nostr " + NPUB + " (or not)"})
    assert {link.value for link in profile.links} == {
        "https://ana.example", "ana@social.example", NPUB}
    assert profile.aliases == ("did:plc:abc", "ana.bsky.social")


def test_nostr_metadata_nip05_and_nip39() -> None:
    event = {"pubkey": "ab" * 32, "kind": 0, "created_at": 1, "id": "0" * 64, "tags": [
        ["i", "mastodon:social.example/@ana", "109"], ["i", "github:ana", "gist"],
        ["i", "unknown:x", ""]],
        "content": '{"website": "ana.example/art", "nip05": "_@ana.example", '
                   '"about": "see https://bsky.app/profile/ana.bsky.social."}'}
    profile = nostr.from_event(NPUB, event)
    assert [(link.value, link.where) for link in profile.links] == [
        ("https://ana.example/art", "website"),
        ("ana.example", "NIP-05 address"),
        ("https://bsky.app/profile/ana.bsky.social", "bio"),
        ("ana@social.example", "NIP-39 mastodon identity"),
        ("https://github.com/ana", "NIP-39 github identity"),
    ]
    assert nostr.from_event(NPUB, None).found is False
    broken = nostr.from_event(NPUB, {**event, "content": "{not json", "tags": [["i"]]})
    assert broken.links == ()


def _unbounded_repeats(pattern: str) -> list[str]:
    """The repeats of a regular expression without an upper bound (`+`, `*`, `{n,}`), as the
    parser reads it: each can make a failed match attempt rescan the rest of the text."""
    found: list[str] = []

    def walk(items: Any) -> None:
        for op, av in items:
            name = str(op)
            if name.endswith("_REPEAT"):
                low, high, inner = av
                if high == re_constants.MAXREPEAT:
                    found.append(f"{name} {low}..")
                walk(inner)
            elif name == "SUBPATTERN":
                walk(av[-1])
            elif name == "BRANCH":
                for branch in av[1]:
                    walk(branch)
            elif name in ("ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
                walk(av[-1])

    walk(re_parser.parse(pattern, re.IGNORECASE))
    return found


def test_profile_text_is_read_in_bounded_work() -> None:
    """A hostile profile costs work in proportion to what is read, which is itself bounded:
    every repeat of the patterns is bounded, so a match tried from each of a bio's positions
    gives up after a bounded number of steps (an unbounded domain label had rescanned the rest
    of "-a-a-a…" from every "-": 195 ms for 5,000 characters, 3.8 s for 20,000); only the first
    MAX_FIELDS fields (Mastodon) and identity claims (Nostr) are read."""
    assert _unbounded_repeats(r"(?:[a-z0-9-]+\.)+x") == ["MAX_REPEAT 1..", "MAX_REPEAT 1.."]
    for pattern in profile_links.PATTERNS:
        assert _unbounded_repeats(pattern.pattern) == [], pattern.pattern
    hostile = "-a" * 500_000  # 1 MB
    assert profile_links.links_in_text(hostile, "bio") == []
    fields = [{"name": f"Site {n}", "value": f"https://site{n}.example/ana"} for n in range(40)]
    fields += [{"name": "x", "value": hostile}] * 10_000
    profile = mastodon.from_account("ana@social.example", {"fields": fields, "note": hostile})
    assert [link.value for link in profile.links] == [
        f"https://site{n}.example/ana" for n in range(profile_links.MAX_FIELDS)]
    tags = [["i", f"github:ana{n}", ""] for n in range(30)]
    event = {"pubkey": "ab" * 32, "tags": tags, "content": json.dumps({"about": hostile})}
    assert [link.value for link in nostr.from_event(NPUB, event).links] == [
        f"https://github.com/ana{n}" for n in range(profile_links.MAX_FIELDS)]
    # Still found as before: a bare address, a handle, a label of 63 characters.
    label = "a" * 63
    assert [link.value for link in profile_links.links_in_text(
        f"see {label}.example/x and @ana@{label}.example.", "bio")] == [
        f"ana@{label}.example", f"https://{label}.example/x"]


def test_links_name_accounts_by_their_keys() -> None:
    bsky = links.account_keys("ana.bsky.social", "https://bsky.app/profile/ana.bsky.social")
    masto = links.account_keys("ana@social.example", "https://social.example/@ana")
    npub = links.account_keys(NPUB, f"https://njump.me/{NPUB}")
    assert links.link_keys("https://bsky.app/profile/ana.bsky.social/") & bsky
    assert links.link_keys("https://staging.bsky.app/profile/Ana.Bsky.Social") & bsky
    assert links.link_keys("@ana@social.example") & masto
    assert links.link_keys("https://www.social.example/@ana?x=1") & masto
    assert links.link_keys("https://social.example/users/ana") & masto
    assert links.link_keys(f"nostr:{NPUB}") & npub
    assert links.link_keys(f"https://primal.net/p/{NPUB}") & npub
    assert not links.link_keys("https://social.example/@bo") & masto
    assert not links.link_keys("https://bsky.app/profile/bo.bsky.social") & bsky
    for hostile in ("", "http://[", "javascript:alert(1)", "x" * 5000, "\x00", "@", "a@"):
        assert links.link_keys(hostile) <= {"acct:a@"}


# --- suggestions --------------------------------------------------------------------------


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


class _Lookups:
    """A Mastodon API stand-in for account_lookup: `answers` maps an acct to an account, or to
    the error raised for it (anything else: not found)."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def call(self, method: str, *args: object, **kwargs: object) -> object:
        assert method == "account_lookup"
        self.asked.append(str(args[0]))
        answer = self.answers.get(str(args[0]), NotFound("no such account"))
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_mastodon_counts_lookups_not_handles() -> None:
    """A turn makes at most MAX_PROFILES lookups, counting the second one asked for an account
    of the server's own under its bare name; a handle left without its lookup is not answered
    (still due next turn)."""
    api = _Lookups({})
    handles = [f"p{n}@social.example" for n in range(profile_links.MAX_PROFILES)]
    found = mastodon.read_with(api, "https://web.social.example", handles)
    assert len(api.asked) == profile_links.MAX_PROFILES
    assert api.asked[:2] == ["p0@social.example", "p0"]
    assert [p.handle for p in found] == handles[:profile_links.MAX_PROFILES // 2]
    assert not any(p.found for p in found)


def test_mastodon_reads_on_past_a_handle_the_server_refuses() -> None:
    """One account the server always refuses (a 4xx) is answered as not found, so the batch
    moves on instead of failing whole every turn; one failing with a 5xx before any answer is
    left out (still due, never taken as not found) and the next is asked."""
    api = _Lookups({"bad": Rejected("422"), "odd": Transient("500"), "ana": MASTODON_ACCOUNT})
    found = mastodon.read_with(api, "https://social.example", [
        "odd@social.example", "bad@social.example", "ana@social.example"])
    assert [(p.handle, p.found) for p in found] == [
        ("bad@social.example", False), ("ana@social.example", True)]
    assert api.asked == ["odd", "bad", "ana"]


@pytest.mark.parametrize("down", [Transient("503"), OutcomeUnknown("timed out")],
                         ids=["5xx", "timeout"])
def test_mastodon_server_going_down_mid_turn_keeps_the_rest_due(down: Exception) -> None:
    """Once a lookup answered, a 5xx or timeout ends the turn with what was read: the handles
    after it are not answered (still due), none taken as not found."""
    api = _Lookups({"ana": MASTODON_ACCOUNT, "p1": down, "p2": down,
                    "p3": MASTODON_ACCOUNT})
    handles = ["ana@social.example", "p0@social.example", "p1@social.example",
               "p2@social.example", "p3@social.example"]
    found = mastodon.read_with(api, "https://social.example", handles)
    assert [(p.handle, p.found) for p in found] == [
        ("ana@social.example", True), ("p0@social.example", False)]
    assert api.asked == ["ana", "p0", "p1"]


def test_mastodon_server_down_fails_the_turn_after_a_few_lookups() -> None:
    api = _Lookups({f"p{n}": Transient("503") for n in range(25)})
    with pytest.raises(Transient):
        mastodon.read_with(api, "https://social.example",
                           [f"p{n}@social.example" for n in range(25)])
    assert len(api.asked) == mastodon.FAILURES_IN_A_ROW


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
