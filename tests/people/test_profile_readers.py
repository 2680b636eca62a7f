"""What each network's profile gives, read without a network: Mastodon's in the Account
entity's documented shape (the mock never verifies a field), Bluesky's and Nostr's; that the
text is read in bounded work; which links name which account; and how a Mastodon turn counts
its lookups and meets refusals and outages. The suggestions they make: test_profile_links.py."""

from __future__ import annotations

import json
import re
from re import _constants as re_constants  # type: ignore[attr-defined]
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from hubbub.networks import profile_links
from hubbub.networks.bluesky import profile_links as bluesky
from hubbub.networks.errors import (
    NotFound,
    OutcomeUnknown,
    Rejected,
    Transient,
)
from hubbub.networks.mastodon import profile_links as mastodon
from hubbub.networks.nostr import keys
from hubbub.networks.nostr import profile_links as nostr
from hubbub.networks.profile_links import Link
from hubbub.people import links

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
