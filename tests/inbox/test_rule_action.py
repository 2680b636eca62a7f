"""The rules' action "add to the inbox": a matching post of the home feed becomes an inbox
entry, and turning the rule off takes it out again (rules never delete anything)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.inbox.selectors import entries
from hubbub.listening import apply, services
from hubbub.listening.conditions import ACTIONS, spec_from
from hubbub.listening.models import ItemMark, Rule
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from tests.timeline.conftest import net_item

pytestmark = pytest.mark.django_db


def test_a_rule_adds_matching_posts_to_the_inbox(alice: User, bob: User, feed: Feed) -> None:
    assert "inbox" in ACTIONS
    services.save_rule(alice, spec_from({
        "conditions": [{"kind": "words", "values": ["release"]}],
        "actions": [{"kind": "inbox"}]}), name="releases", expires_at=None)
    at = timezone.now() - timedelta(minutes=1)
    ingest(feed, [net_item(1, at=at, text="the release is out"),
                  net_item(2, at=at, text="lunch")])
    assert [i.text for i in entries(alice)] == ["the release is out"]
    assert ItemMark.objects.get(item__remote_id="r1").inbox
    assert list(entries(bob)) == []
    services.set_paused(Rule.objects.get(user=alice), True)
    apply.recompute(alice.pk)
    assert list(entries(alice)) == []
