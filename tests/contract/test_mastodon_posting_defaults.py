"""Mastodon posting defaults (GET /api/v1/preferences) read with the limits, and a status's
visibility and language as the server keeps them, against mastodon-mock."""

from __future__ import annotations

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.mastodon import mapping
from hubbub.networks.mastodon.connector import MastodonConnector
from tests.contract.test_mastodon_connector import account_for
from tests.peers.mastodon import MastodonPeer

CONNECTOR = MastodonConnector()


def test_capabilities_carry_the_accounts_posting_defaults(mastodon_peer: MastodonPeer) -> None:
    alice = mastodon_peer.new_account()
    prefs = mastodon_peer.set_posting_defaults(alice, visibility="private", language="de")
    assert prefs["posting:default:visibility"] == "private"

    caps = CONNECTOR.capabilities(account_for(mastodon_peer, alice))

    assert caps.default_visibility == "private"
    assert caps.default_language == "de"
    # Kept in the connection's capabilities JSON and read back from it.
    assert type(caps).from_json(caps.to_json()) == caps


def test_a_changed_default_is_read_on_the_next_refresh(mastodon_peer: MastodonPeer) -> None:
    bob = mastodon_peer.new_account()
    account = account_for(mastodon_peer, bob)
    mastodon_peer.set_posting_defaults(bob, visibility="unlisted")
    assert CONNECTOR.capabilities(account).default_visibility == "unlisted"
    mastodon_peer.set_posting_defaults(bob, visibility="public")
    assert CONNECTOR.capabilities(account).default_visibility == "public"


def test_no_preferences_leave_the_defaults_unknown_not_the_limits(
    mastodon_peer: MastodonPeer,
) -> None:
    carol = mastodon_peer.new_account()
    mastodon_peer.add_fault(
        {"type": "status", "status": 403,
         "body": {"error": "This action is outside the authorized scopes"}},
        path="/api/v1/preferences", methods=["GET"])
    try:
        caps = CONNECTOR.capabilities(account_for(mastodon_peer, carol))
    finally:
        mastodon_peer.clear_faults()
    assert caps.text_limit > 0
    assert (caps.default_visibility, caps.default_language) == ("", "")


def test_unknown_values_in_the_preferences_are_not_kept() -> None:
    base = mapping.default_capabilities()
    odd = mapping.with_posting_defaults(
        base, {"posting:default:visibility": "local-only", "posting:default:language": "x" * 30})
    assert (odd.default_visibility, odd.default_language) == ("", "")
    regional = mapping.with_posting_defaults(
        base, {"posting:default:visibility": "DIRECT", "posting:default:language": "pt-BR"})
    assert (regional.default_visibility, regional.default_language) == ("direct", "pt")
    assert mapping.with_posting_defaults(base, None) == base


def test_the_server_keeps_the_statuses_visibility_and_language(
    mastodon_peer: MastodonPeer,
) -> None:
    dave = mastodon_peer.new_account()
    account = account_for(mastodon_peer, dave)
    published = CONNECTOR.publish(
        account, Draft(text="nur für Freunde", visibility="private", language="de"), "k-v1", ())
    stored = mastodon_peer.status(dave, published.remote_id)
    assert (stored["visibility"], stored["language"]) == ("private", "de")


def test_no_visibility_lets_the_server_apply_the_accounts_default(
    mastodon_peer: MastodonPeer,
) -> None:
    erin = mastodon_peer.new_account()
    mastodon_peer.set_posting_defaults(erin, visibility="unlisted")
    published = CONNECTOR.publish(account_for(mastodon_peer, erin), Draft(text="quiet"),
                                  "k-v2", ())
    assert mastodon_peer.status(erin, published.remote_id)["visibility"] == "unlisted"


@pytest.mark.django_db
def test_the_composer_reads_defaults_changed_on_the_server_within_minutes(
    mastodon_peer: MastodonPeer,
) -> None:
    """The limits are kept six hours, but posting defaults are changed by hand on the server:
    the composer, finding them older than POSTING_DEFAULTS_TTL, has them read again in the
    background, so the next composer shows the new ones. Fresher ones are not asked again."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from hubbub.connections.models import Connection
    from hubbub.connections.services import (
        POSTING_DEFAULTS_TTL,
        read_capabilities,
        save_connection,
    )
    from hubbub.networks.registry import get_connector
    from hubbub.publishing.post_options import account_defaults

    owner = User.objects.create_user("defaults-owner", password="a-long-enough-password")
    frank = mastodon_peer.new_account()
    mastodon_peer.set_posting_defaults(frank, visibility="unlisted", language="de")
    connected = get_connector("mastodon").connect_with_token(
        mastodon_peer.base_url, {"access_token": frank.access_token})
    connection = save_connection(owner, "mastodon", connected)
    assert account_defaults([connection])[0].visibility == "unlisted"
    readings = DBTaskResult.objects.filter(task_path=read_capabilities.module_path)
    before = readings.count()

    mastodon_peer.set_posting_defaults(frank, visibility="private", language="fr")
    # A minute old: shown as kept, nothing asked.
    Connection.objects.filter(pk=connection.pk).update(
        capabilities_fetched_at=timezone.now() - timedelta(minutes=1))
    fresh = account_defaults([Connection.objects.get(pk=connection.pk)])[0]
    assert (fresh.visibility, fresh.language) == ("unlisted", "de")
    assert readings.count() == before

    # Older than the defaults' TTL (far within the limits' six hours): the kept ones at
    # once, one reading enqueued, and a second composer does not enqueue another.
    Connection.objects.filter(pk=connection.pk).update(
        capabilities_fetched_at=timezone.now() - POSTING_DEFAULTS_TTL
        - timedelta(seconds=5))
    stale = account_defaults([Connection.objects.get(pk=connection.pk)])[0]
    assert (stale.visibility, stale.language) == ("unlisted", "de")
    assert readings.count() == before + 1
    account_defaults([Connection.objects.get(pk=connection.pk)])
    assert readings.count() == before + 1

    read_capabilities.call(connection.pk)  # what the worker runs
    now = account_defaults([Connection.objects.get(pk=connection.pk)])[0]
    assert (now.visibility, now.language) == ("private", "fr")
