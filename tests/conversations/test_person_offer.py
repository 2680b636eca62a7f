"""The item page offers "Add … to a person…" only for authors who are not yet one of the
person's People (issue 12 #18), against mastodon-mock: a thread of ana's post and bo's reply,
ana already a Person's account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.people import services as people
from tests.conversations.helpers import PASSWORD, connect, read_into_deck
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db(transaction=True)


def _offered(page: str) -> list[str]:
    """Whose "Add … to a person…" the page's items offer (not the head's one copy of the
    actions, drawn for a placeholder: deck_ui.acts_template)."""
    return re.findall(r"Add (\S+) to a person…", page.split("</template>", 1)[-1])


def test_the_person_offer_is_left_out_for_people_already_known(
        mastodon_peer: MastodonPeer, client: Client) -> None:
    owner = User.objects.create_user("ada", password=PASSWORD)
    me, ana, bo = (mastodon_peer.new_account() for _ in range(3))
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": me.access_token})
    post = mastodon_peer.post_as(ana, "Dinner at eight?")
    mastodon_peer.post_as(bo, f"@{ana.username} count me in", in_reply_to_id=post["id"])
    mastodon_peer.follow(me, ana)
    item = read_into_deck(connection, "home", post["id"])
    client.force_login(owner)
    ana_handle, bo_handle = f"@{ana.username}@localhost", f"@{bo.username}@localhost"

    page = client.get(f"/deck/items/{item.pk}/conversation/").content.decode()
    assert sorted(_offered(page)) == sorted([ana_handle, bo_handle])

    person = people.create_person(owner, "Ana Lima")
    people.add_account(person, "mastodon", item.author_handle, "", name="Ana")
    page = client.get(f"/deck/items/{item.pk}/conversation/").content.decode()
    assert _offered(page) == [bo_handle]
