"""The connector contract's `column_param_refusal`: every registered connector answers it, the
rules of every network hold on each (a network adds its own, never drops these), and the three
networks with rules of their own keep them in their packages. No I/O: nothing here needs a peer.
"""

from __future__ import annotations

import pytest

from hubbub.networks import registry
from hubbub.networks.column_params import SEARCH_MAX
from hubbub.networks.registry import get_connector

NETWORKS = sorted(registry.CONNECTORS)


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize(("kind", "param", "typed", "said"), [
    ("search", "w" * (SEARCH_MAX + 1), "", f"A search is at most {SEARCH_MAX} characters"),
    ("search", "bell here", "bell\x07here", "holds a control character"),
    ("hashtag", "esc ape", "esc\x1bape", "holds a control character"),
    ("hashtag", "", "#", "“#” is not a hashtag: give the tag without the #"),
    ("hashtag", "two words", "two words", "“two words” is not one hashtag"),
    ("hashtag", "a#b", "a#b", "is not one hashtag"),
    ("hashtag", "a" * 101, "a" * 101, "hashtag: at most"),
])
def test_every_connector_refuses_what_no_network_takes(network: str, kind: str, param: str,
                                                       typed: str, said: str) -> None:
    refusal = get_connector(network).column_param_refusal(kind, param, typed=typed)
    assert said in refusal


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize(("kind", "param"), [
    ("search", "w" * SEARCH_MAX),
    ("search", "a phrase with “quotes”"),
    ("hashtag", "photography"),
    ("hashtag", ""),  # nothing typed: the dialog says the kind needs a tag
    ("author", "@ana@social.example"),
    ("home", ""),
])
def test_every_connector_accepts_what_every_network_takes(network: str, kind: str,
                                                          param: str) -> None:
    assert get_connector(network).column_param_refusal(kind, param, typed=param) == ""


@pytest.mark.parametrize("network", NETWORKS)
def test_a_too_long_hashtag_names_the_network(network: str) -> None:
    connector = get_connector(network)
    said = connector.column_param_refusal("hashtag", "a" * 101, typed="a" * 101)
    assert f"too long for a {connector.name} hashtag" in said


@pytest.mark.parametrize(("network", "kind", "param", "said"), [
    ("mastodon", "hashtag", "foo-bar", "is not a Mastodon hashtag"),
    ("mastodon", "list", "1" * 20, "is not a Mastodon list id"),
    ("bluesky", "hashtag", "a" * 65, "too long for a Bluesky hashtag: at most 64"),
    ("bluesky", "hashtag", "2024", "is not a Bluesky hashtag"),
    ("bluesky", "feed", "whats-hot", "is not a Bluesky custom feed"),
    ("bluesky", "list", "friends", "is not a Bluesky list"),
    ("nostr", "list", "ab" * 32, "64-character hex key or id, not a list"),
])
def test_a_network_adds_its_own_rules(network: str, kind: str, param: str, said: str) -> None:
    assert said in get_connector(network).column_param_refusal(kind, param, typed=param)
    others = [n for n in NETWORKS if n != network]
    assert all(said not in get_connector(n).column_param_refusal(kind, param, typed=param)
               for n in others)
