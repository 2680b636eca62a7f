"""Customising per target, drafts, duplicates: the composer's services."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hubbub.connections.models import Connection
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.services import (
    NewMedia,
    PostError,
    TargetCustom,
    create_post,
    discard_draft,
    duplicate_post,
    post_status,
    send_draft,
)
from tests.engine.scripted import ScriptedConnector

pytestmark = pytest.mark.django_db
S = DeliveryState


def _png(name: str = "a.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue())


@pytest.fixture
def second(owner: Any, connection: Connection) -> Connection:
    c = Connection(user=owner, network="scripted", base_url="http://y.test", remote_id="2",
                   handle="@other")
    c.credentials = {"token": "t"}
    c.save()
    return c


def test_each_target_gets_its_own_text_and_images(
    owner: Any, connection: Connection, second: Connection, scripted: ScriptedConnector
) -> None:
    post = create_post(
        user=owner, text="The same for everyone", connections=[connection, second],
        media=[NewMedia(_png("one.png"), "first"), NewMedia(_png("two.png"), "second")],
        customize={second.pk: TargetCustom(text="Shorter here", content_warning="spoilers",
                                           media_positions=(1,))},
    )
    for d in post.deliveries.all():
        engine.process(d.pk)
    by_text = {d.text: d for d in scripted.drafts}
    assert set(by_text) == {"The same for everyone", "Shorter here"}
    assert [m.alt_text for m in by_text["The same for everyone"].media] == ["first", "second"]
    assert [m.alt_text for m in by_text["Shorter here"].media] == ["second"]
    assert by_text["Shorter here"].content_warning == "spoilers"


def test_each_target_is_checked_with_what_it_will_get(
    owner: Any, connection: Connection, second: Connection
) -> None:
    # The scripted network allows 100 characters: the override is what counts there.
    with pytest.raises(PostError, match=r"@other: "):
        create_post(user=owner, text="fits", connections=[connection, second],
                    customize={second.pk: TargetCustom(text="x" * 101)})
    with pytest.raises(PostError, match=r"part 2"):
        create_post(user=owner, text="fits", connections=[connection],
                    customize={connection.pk: TargetCustom(parts=("ok", "y" * 101))})
    assert Post.objects.count() == 0


def test_a_thread_for_one_target_only(
    owner: Any, connection: Connection, second: Connection, scripted: ScriptedConnector
) -> None:
    post = create_post(user=owner, text="one two", connections=[connection, second],
                       customize={connection.pk: TargetCustom(parts=("one", "two"))})
    for d in post.deliveries.all():
        engine.process(d.pk)
    assert sorted(d.text for d in scripted.drafts) == ["one", "one two", "two"]


def test_drafts_wait_are_checked_when_sent_and_can_be_duplicated(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    draft = create_post(user=owner, text="z" * 150, connections=[connection], draft=True,
                        media=[NewMedia(_png(), "alt")])
    assert post_status(draft) == "draft"
    d = draft.deliveries.get()
    assert d.state == S.DRAFT
    engine.process(d.pk)
    assert scripted.calls == []  # a draft is never sent
    with pytest.raises(PostError, match="over the limit"):
        send_draft(draft)
    Post.objects.filter(pk=draft.pk).update(text="now it fits")
    draft.refresh_from_db()
    send_draft(draft)
    engine.process(d.pk)
    assert Delivery.objects.get(pk=d.pk).state == S.SENT

    copy = duplicate_post(draft)
    assert copy.is_draft
    assert copy.text == "now it fits"
    assert copy.media.count() == 1
    assert copy.media.get().file.name != draft.media.get().file.name
    assert [d.connection_id for d in copy.deliveries.all()] == [connection.pk]
    discard_draft(copy)
    assert not Post.objects.filter(pk=copy.pk).exists()
    with pytest.raises(PostError):
        discard_draft(draft)  # it was sent: not a draft any more
