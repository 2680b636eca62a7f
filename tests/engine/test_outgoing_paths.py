"""Every path of the composer hands one Outgoing to a service: editing a scheduled post and
duplicating one keep the post's visibility and language in the service itself, with the row
(no view writes them afterwards)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.publishing import services
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing

pytestmark = pytest.mark.django_db


def _scheduled(owner: Any, connection: Connection) -> Post:
    later = timezone.now() + timedelta(hours=2)
    return services.create_from(owner, Outgoing(
        text="first words", targets=(connection,), scheduled_for=later,
        visibility="public", language="en"))


def test_an_edit_is_one_outgoing_written_with_the_row(owner: Any,
                                                      connection: Connection) -> None:
    post = _scheduled(owner, connection)
    later = timezone.now() + timedelta(hours=3)
    edited = services.update_from(post, Outgoing(
        text="second words", targets=(connection,), content_warning="cw",
        scheduled_for=later, tz="Europe/Berlin", visibility="unlisted", language="de"))
    fresh = Post.objects.get(pk=post.pk)
    assert (fresh.text, fresh.content_warning, fresh.timezone) == \
        ("second words", "cw", "Europe/Berlin")
    assert (fresh.visibility, fresh.language) == ("unlisted", "de")
    assert fresh.scheduled_for == later
    assert edited.pk == post.pk
    assert {d.due_at for d in fresh.deliveries.all()} == {later}


def test_an_edit_without_a_time_is_refused(owner: Any, connection: Connection) -> None:
    post = _scheduled(owner, connection)
    with pytest.raises(services.PostError):
        services.update_from(post, Outgoing(text="x", targets=(connection,)))
    assert Post.objects.get(pk=post.pk).text == "first words"


def test_a_duplicate_keeps_visibility_and_language(owner: Any,
                                                   connection: Connection) -> None:
    original = _scheduled(owner, connection)
    copy = services.duplicate_post(original)
    fresh = Post.objects.get(pk=copy.pk)
    assert fresh.is_draft
    assert (fresh.visibility, fresh.language) == ("public", "en")
