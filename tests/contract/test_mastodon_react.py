from __future__ import annotations

import pytest

from hubbub.networks.base import Account
from hubbub.networks.registry import get_connector
from tests.peers.mastodon import MastodonPeer


def test_like_boost_bookmark_reach_the_server(mastodon_peer: MastodonPeer) -> None:
    author = mastodon_peer.new_account()
    status = mastodon_peer.post_as(author, "react to me")
    reader = mastodon_peer.new_account()
    account = Account(mastodon_peer.base_url, {"access_token": reader.access_token},
                      reader.id, f"@{reader.username}")
    connector = get_connector("mastodon")
    for kind in ("like", "repost", "bookmark", "like"):  # twice: still one like
        assert connector.react(account, str(status["id"]), kind) == ""
    seen = mastodon_peer._api(reader.access_token, "GET",
                              f"/api/v1/statuses/{status['id']}").json()
    assert seen["favourited"] is True
    assert seen["reblogged"] is True
    assert seen["bookmarked"] is True
    assert seen["favourites_count"] == 1
    with pytest.raises(NotImplementedError):
        connector.react(account, str(status["id"]), "quote")
