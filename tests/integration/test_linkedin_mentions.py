"""LinkedIn mentions by URN against the LinkedIn stand-in: a draft that names, after an @, a
page the member administers (the pages the connector can resolve: organizationAcls, then the
organization's name) is posted with that name as a mention element `@[Name](urn:li:
organization:…)` (little text), so LinkedIn links the page; any other @name stays plain text,
escaped, and nothing is cut. find_published recognises the post read back (a mention reads as
the name alone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hubbub.networks.base import Account, Draft
from tests.integration.linkedin_support import (
    READ_MEMBER,
    SCOPES,
    LinkedInWorld,
    credentials_of,
    make_li_world,
)
from tests.peers.linkedin.peer import LinkedInPeer


@pytest.fixture
def li_world(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> LinkedInWorld:
    return make_li_world(li_peer, monkeypatch)


def _member_with_pages(world: LinkedInWorld, *names: str,
                       scopes: tuple[str, ...] = (*SCOPES, READ_MEMBER),
                       ) -> tuple[Account, list[Any]]:
    member = world.peer.create_member("Ann Baker")
    pages = [world.peer.create_organization(name, [member]) for name in names]
    tokens = world.peer.token_for(member, (world.client_id, world.client_secret), list(scopes))
    account = Account(base_url=world.peer.base_url,
                      credentials=credentials_of(tokens, author=member.urn),
                      remote_id=member.urn, handle="Ann Baker")
    return account, pages


def _post(world: LinkedInWorld, account: Account, text: str) -> dict[str, Any]:
    draft = Draft(text=text)
    prepared = world.connector.prepare(account, draft, "m1")
    world.connector.publish(account, draft, "m1", (), prepared)
    [post] = world.peer.posts(account.remote_id)
    return post


def test_a_page_the_member_administers_is_mentioned(li_world: LinkedInWorld) -> None:
    account, [bakery, _] = _member_with_pages(li_world, "Acme Bakery", "Acme")
    since = datetime.now(UTC)
    text = "Fresh bread at @Acme Bakery (today) #bread, says @Bo Nobody"
    post = _post(li_world, account, text)
    assert post["mentions"] == [bakery.urn]  # the longer name, not its prefix "Acme"
    assert not post["cut"]
    assert post["text"] == "Fresh bread at Acme Bakery (today) #bread, says @Bo Nobody"
    assert "@[Acme Bakery](urn:li:organization:" in post["commentary"]
    assert "\\@Bo Nobody" in post["commentary"]
    # Read back after an answer was lost: the same post, found through what was prepared.
    draft = Draft(text=text)
    prepared = li_world.connector.prepare(account, draft, "m1")
    found = li_world.connector.find_published(account, draft, "m1", since, prepared)
    assert found is not None
    assert found.remote_id == post["urn"]


def test_a_name_that_only_starts_like_a_page_stays_text(li_world: LinkedInWorld) -> None:
    account, _ = _member_with_pages(li_world, "Acme")
    post = _post(li_world, account, "Ask @Acmeville or @acme, or mail me@Acme")
    assert post["mentions"] == []
    assert post["text"] == "Ask @Acmeville or @acme, or mail me@Acme"
    assert not post["cut"]


def test_without_the_organization_scope_nothing_is_mentioned(li_world: LinkedInWorld) -> None:
    account, _ = _member_with_pages(
        li_world, "Acme", scopes=("openid", "profile", "email", "w_member_social"))
    post = _post(li_world, account, "Hello @Acme")
    assert post["mentions"] == []
    assert post["text"] == "Hello @Acme"


def test_a_page_mentions_another_page_of_its_admin(li_world: LinkedInWorld) -> None:
    page_account, org = li_world.page_account("Acme")
    li_world.peer.create_organization("Acme Labs", [])  # not this member's: stays text
    # "@Acme Labs" is not taken for the known "@Acme" followed by " Labs".
    draft = Draft(text="Thanks @Acme Labs, from @Acme")
    prepared = li_world.connector.prepare(page_account, draft, "p1")
    li_world.connector.publish(page_account, draft, "p1", (), prepared)
    [post] = li_world.peer.posts(org.urn)
    assert post["mentions"] == [org.urn]
    assert post["text"] == "Thanks @Acme Labs, from Acme"


def test_a_draft_without_an_at_sign_reads_nothing_more(li_world: LinkedInWorld) -> None:
    account, _ = _member_with_pages(li_world, "Acme")
    before = len(li_world.peer.requests())
    prepared = li_world.connector.prepare(account, Draft(text="no mentions here"), "n1")
    assert "mentions" not in prepared
    assert len(li_world.peer.requests()) == before


@pytest.mark.django_db
def test_through_the_engine_a_lost_answer_settles_on_the_mentioning_post(
        li_world: LinkedInWorld, settings: Any) -> None:
    """The mentions go into the delivery's stored `prepared`: the retry after a lost answer
    reads the posts back with them and finds the one post, not a second."""
    from django.contrib.auth.models import User

    from hubbub.connections.services import save_connection
    from hubbub.jobs import scheduler
    from hubbub.networks.registry import get_connector
    from hubbub.publishing import engine
    from hubbub.publishing.models import DeliveryState
    from hubbub.publishing.services import create_post

    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    owner = User.objects.create_user("owner", password="a-long-enough-password")
    account, [bakery] = _member_with_pages(li_world, "Acme Bakery")
    connection = save_connection(owner, "linkedin", get_connector("linkedin").connect_with_token(
        "", {"access_token": account.credentials["access_token"]}))
    li_world.peer.fail_next("POST", "/rest/posts", "drop_after")
    post = create_post(user=owner, text="Bread (rye) at @Acme Bakery", connections=[connection])
    for _ in range(2):  # the send whose answer is lost, then the settle
        for pk, _due in scheduler.due_deliveries():
            engine.process(pk)
    delivery = post.deliveries.get()
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    [made] = [p for p in li_world.peer.posts(account.remote_id) if not p["deleted"]]
    assert made["urn"] == delivery.remote_id
    assert made["mentions"] == [bakery.urn]
    assert made["text"] == "Bread (rye) at Acme Bakery"
