"""networks/bluesky/tid.py and the record-key choice: valid TIDs, minted once, or derived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hubbub.networks.base import Account, Draft
from hubbub.networks.bluesky import tid
from hubbub.networks.bluesky.connector import BlueskyConnector, record_key


def test_encoding_round_trips_and_matches_the_spec_example() -> None:
    # atproto.com/specs/tid: "3jzfcijpj2z2a" is a valid TID.
    assert tid.is_tid("3jzfcijpj2z2a")
    assert tid.encode(tid.decode("3jzfcijpj2z2a")) == "3jzfcijpj2z2a"
    assert tid.encode(0) == "2222222222222"
    for bad in ("3jzfcijpj2z2", "kjzfcijpj2z2a", "3jzfcijpj2z2A", "3jzfcijpj2z21", ""):
        assert not tid.is_tid(bad)


def test_new_tids_are_valid_increasing_and_dated_now() -> None:
    minted = [tid.new_tid() for _ in range(1000)]
    assert all(tid.is_tid(t) for t in minted)
    assert minted == sorted(minted)
    assert len(set(minted)) == len(minted)
    assert abs(tid.timestamp(minted[-1]) - datetime.now(UTC)) < timedelta(seconds=5)


def test_derived_tids_are_stable_valid_distinct_and_never_in_the_future() -> None:
    keys = [f"{n:032x}" for n in range(5000)]
    derived = [tid.derived_tid(k) for k in keys]
    assert derived == [tid.derived_tid(k) for k in keys]  # any process, same answer
    assert all(tid.is_tid(t) for t in derived)
    assert len(set(derived)) == len(derived)
    assert all(tid.timestamp(t) < datetime(2024, 1, 1, tzinfo=UTC) for t in derived)


def test_record_key_prefers_the_prepared_tid() -> None:
    prepared = {"rkey": "3jzfcijpj2z2a"}
    assert record_key("any-key", prepared) == "3jzfcijpj2z2a"
    assert record_key("3kaaaaaaaaaaa", None) == "3kaaaaaaaaaaa"  # the key is a TID itself
    assert record_key("a" * 32, None) == tid.derived_tid("a" * 32)
    assert record_key("a" * 32, {}) == tid.derived_tid("a" * 32)
    assert record_key("a" * 32, {"rkey": "not a tid"}) == tid.derived_tid("a" * 32)


def test_prepare_mints_a_fresh_tid_each_delivery() -> None:
    connector = BlueskyConnector()
    account = Account(base_url="http://pds.invalid", credentials={})
    first = connector.prepare(account, Draft("x"), "k1")
    second = connector.prepare(account, Draft("x"), "k1")
    assert tid.is_tid(first["rkey"])
    assert tid.is_tid(second["rkey"])
    assert first != second  # the engine calls it once per delivery and keeps the answer
