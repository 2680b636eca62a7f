from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection
from hubbub.publishing.forms import to_utc
from hubbub.publishing.models import Delivery, DeliveryState, Post, PostMedia
from tests.web.conftest import make_connection

pytestmark = pytest.mark.django_db


def _png(name: str = "cat.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "orange").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def _compose(client: Client, follow: bool = False, **data: Any) -> Any:
    return client.post(reverse("publishing:compose"), {"action": "now", **data}, follow=follow)


def _post_with(owner: User, connection: Connection, state: str = DeliveryState.SCHEDULED,
               text: str = "hello world", **fields: Any) -> tuple[Post, Delivery]:
    when = timezone.now() + timedelta(hours=2)
    post = Post.objects.create(user=owner, text=text, scheduled_for=when)
    delivery = Delivery.objects.create(post=post, connection=connection, state=state,
                                       due_at=when, **fields)
    return post, delivery


# --- compose -------------------------------------------------------------------------------------


def test_compose_without_connections_points_to_connect(client_in: Client) -> None:
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert "Connect an account first" in html


def test_compose_lists_only_my_active_connections(client_in: Client, owner: User,
                                                  other: User) -> None:
    make_connection(owner, "@me@fake.example")
    make_connection(other, "@them@fake.example")
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert "@me@fake.example" in html
    assert "@them@fake.example" not in html
    # A single account comes ticked, and its counter shows.
    assert "checked" in html
    assert "0</strong> / 50" in html


def test_post_now_creates_a_post_and_goes_to_posts(client_in: Client, owner: User,
                                                   connection: Connection) -> None:
    response = _compose(client_in, text="Hello there", targets=[connection.pk], follow=True)
    assert response.redirect_chain[-1][0] == reverse("publishing:posts")
    assert "Sent off to 1 account: its status is on the post below." in response.content.decode()
    post = Post.objects.get(user=owner)
    assert post.text == "Hello there"
    assert post.scheduled_for is None
    assert post.deliveries.get().state == DeliveryState.SCHEDULED


def test_a_refused_post_keeps_everything_typed(client_in: Client, connection: Connection) -> None:
    long_text = "x" * 60
    response = _compose(client_in, text=long_text, content_warning="spoilers",
                        targets=[connection.pk], alt_1="a cat")
    assert response.status_code == 400
    html = response.content.decode()
    assert long_text in html
    assert 'value="spoilers"' in html
    assert "a cat" in html
    assert f'value="{connection.pk}" checked' in html
    assert "@alice@fake.example: " in html  # the service's reason, per account
    assert "18 over" in html  # 60 + len("spoilers") against 50
    assert not Post.objects.exists()


def test_posting_to_nobody_is_explained(client_in: Client, connection: Connection) -> None:
    response = _compose(client_in, text="hi")
    assert response.status_code == 400
    assert "Tick at least one account" in response.content.decode()


def test_someone_elses_connection_cannot_be_ticked(client_in: Client, other: User) -> None:
    theirs = make_connection(other, "@them@fake.example")
    response = _compose(client_in, text="hi", targets=[theirs.pk])
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_images_survive_a_refused_post(client_in: Client, owner: User,
                                       connection: Connection) -> None:
    response = _compose(client_in, text="y" * 80, targets=[connection.pk],
                        image_1=_png(), alt_1="orange square")
    assert response.status_code == 400
    html = response.content.decode()
    token = html.split('name="keep_1" value="')[1].split('"')[0]
    preview = client_in.get(reverse("publishing:stash_preview", args=[token]))
    assert preview.status_code == 200
    assert preview["Content-Type"] == "image/png"
    # Fix the text and send again without re-picking the file.
    response = _compose(client_in, text="short now", targets=[connection.pk],
                        keep_1=token, alt_1="orange square")
    assert response.status_code == 302
    media = PostMedia.objects.get(post__user=owner)
    assert (media.width, media.height, media.alt_text) == (8, 6, "orange square")


def test_a_stashed_image_is_private(client: Client, other: User, client_in: Client,
                                    connection: Connection) -> None:
    html = _compose(client_in, text="y" * 80, targets=[connection.pk],
                    image_1=_png()).content.decode()
    token = html.split('name="keep_1" value="')[1].split('"')[0]
    intruder = Client()
    intruder.force_login(other)
    assert intruder.get(reverse("publishing:stash_preview", args=[token])).status_code == 404


def test_schedule_in_my_zone(client_in: Client, owner: User, connection: Connection) -> None:
    Profile.objects.create(user=owner, timezone="Europe/Berlin")
    day = timezone.now().date() + timedelta(days=30)
    response = _compose(client_in, text="later", targets=[connection.pk], action="schedule",
                        schedule_date=day.isoformat(), schedule_time="09:30")
    assert response.status_code == 302
    post = Post.objects.get()
    local = post.scheduled_for.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert (local.date(), local.time()) == (day, time(9, 30))
    assert post.timezone == "Europe/Berlin"
    assert post.deliveries.get().due_at == post.scheduled_for


def test_compose_shows_my_zone_next_to_the_time(client_in: Client, owner: User,
                                                connection: Connection) -> None:
    Profile.objects.create(user=owner, timezone="Asia/Tokyo")
    assert b"Asia/Tokyo" in client_in.get(reverse("publishing:compose")).content


def test_schedule_needs_a_date_and_time(client_in: Client, connection: Connection) -> None:
    response = _compose(client_in, text="later", targets=[connection.pk], action="schedule")
    assert response.status_code == 400
    assert "Give both a date and a time" in response.content.decode()
    assert "later" in response.content.decode()


def test_schedule_in_the_past_is_refused(client_in: Client, connection: Connection) -> None:
    response = _compose(client_in, text="oops", targets=[connection.pk], action="schedule",
                        schedule_date="2020-01-01", schedule_time="10:00")
    assert response.status_code == 400
    assert "That time has passed" in response.content.decode()


def test_dst_gap_is_refused_and_fold_takes_the_first() -> None:
    with pytest.raises(ValidationError):
        to_utc(date(2031, 3, 30), time(2, 30), "Europe/Berlin")  # clocks jump 02:00 -> 03:00
    first = to_utc(date(2031, 10, 26), time(2, 30), "Europe/Berlin")  # 02:30 happens twice
    assert first == datetime(2031, 10, 26, 0, 30, tzinfo=UTC)
    assert to_utc(date(2031, 7, 1), time(12, 0), "America/New_York") == datetime(
        2031, 7, 1, 16, 0, tzinfo=UTC)


# --- the live counter ----------------------------------------------------------------------------


def test_counter_shows_count_and_limit(client_in: Client, connection: Connection) -> None:
    response = client_in.post(reverse("publishing:count"),
                              {"text": "hello", "targets": [connection.pk]},
                              headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<strong>5</strong> / 50" in html
    assert "over" not in html
    assert "<html" not in html  # a partial


def test_counter_says_how_much_over(client_in: Client, owner: User,
                                    connection: Connection) -> None:
    roomy = make_connection(owner, "@roomy@fake.example", limit=500, remote_id="77")
    response = client_in.post(reverse("publishing:count"), {
        "text": "z" * 55, "content_warning": "cw", "targets": [connection.pk, roomy.pk],
    })
    html = response.content.decode()
    assert "is-over" in html
    assert "7 over" in html  # 55 + 2 against 50
    assert "<strong>57</strong> / 500" in html


def test_counter_lists_problems_from_described_images(client_in: Client,
                                                      connection: Connection) -> None:
    html = client_in.post(reverse("publishing:count"), {
        "text": "pic", "targets": [connection.pk], "meta_1": "image/png;1000;10;10",
    }).content.decode()
    assert "An image has no alt text." in html


def test_counter_ignores_other_peoples_connections(client_in: Client, other: User) -> None:
    theirs = make_connection(other, "@them@fake.example")
    html = client_in.post(reverse("publishing:count"),
                          {"text": "hi", "targets": [theirs.pk]}).content.decode()
    assert "@them@fake.example" not in html
    assert "Tick an account" in html


def test_counter_needs_post(client_in: Client) -> None:
    assert client_in.get(reverse("publishing:count")).status_code == 405


# --- the posts page ------------------------------------------------------------------------------


def test_posts_show_a_status_per_target(client_in: Client, owner: User) -> None:
    conns = [make_connection(owner, f"@a{i}@fake.example", remote_id=str(i)) for i in range(8)]
    post = Post.objects.create(user=owner, text="many")
    now = timezone.now()
    rows = [
        (DeliveryState.SCHEDULED, {}),
        (DeliveryState.SCHEDULED, {"attempts": 2, "last_error": "503 from server"}),
        (DeliveryState.SENDING, {}),
        (DeliveryState.SENT, {"remote_url": "https://fake.example/@a3/1", "sent_at": now}),
        (DeliveryState.FAILED, {"last_error": "Text too long for the server"}),
        (DeliveryState.UNKNOWN, {}),
        (DeliveryState.HELD, {}),
        (DeliveryState.CANCELLED, {}),
    ]
    for conn, (state, fields) in zip(conns, rows, strict=True):
        due = now + timedelta(hours=1) if state == DeliveryState.SCHEDULED and not fields else now
        Delivery.objects.create(post=post, connection=conn, state=state, due_at=due, **fields)
    html = client_in.get(reverse("publishing:posts")).content.decode()
    for text in ("Scheduled", "Retrying", "503 from server", "Sending",
                 'href="https://fake.example/@a3/1"', "View on Fakebook",
                 "Failed", "Text too long for the server", "Retry",
                 "Checking whether it was posted", "Past its time", "Send now", "Cancelled"):
        assert text in html, text
    # Something is in flight, so the list polls itself.
    assert 'hx-trigger="every 3s"' in html


def test_a_post_sent_now_says_sending_not_scheduled(client_in: Client, owner: User) -> None:
    """Until a worker picks them up (a fraction of a second), the deliveries of a post sent now
    are scheduled for now: the page says Sending, for the post and for each account."""
    conns = [make_connection(owner, f"@n{i}@fake.example", remote_id=f"n{i}") for i in range(2)]
    post = Post.objects.create(user=owner, text="right away")
    for conn in conns:
        Delivery.objects.create(post=post, connection=conn, state=DeliveryState.SCHEDULED,
                                due_at=timezone.now())
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert "Scheduled" not in html
    assert html.count("Sending") >= 3  # the post's pill and each account's
    later = Post.objects.create(user=owner, text="later", scheduled_for=timezone.now()
                                + timedelta(days=1))
    Delivery.objects.create(post=later, connection=conns[0], state=DeliveryState.SCHEDULED,
                            due_at=later.scheduled_for)
    html = client_in.get(reverse("publishing:post_detail", args=[later.pk])).content.decode()
    assert ">Scheduled<" in html


def test_posts_newest_first_and_poll_partial(client_in: Client, owner: User,
                                             connection: Connection) -> None:
    _post_with(owner, connection, DeliveryState.SENT, text="older one")
    _post_with(owner, connection, DeliveryState.SENT, text="newer one")
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert html.index("newer one") < html.index("older one")
    assert "hx-trigger" not in html.split('id="post-list"')[1].split(">")[0]
    partial = client_in.get(reverse("publishing:posts"),
                            headers={"HX-Request": "true", "HX-Target": "post-list"})
    body = partial.content.decode()
    assert body.lstrip().startswith("<div id=\"post-list\"")
    assert "<html" not in body


def test_scheduled_far_away_polls_slowly(client_in: Client, owner: User,
                                         connection: Connection) -> None:
    _post_with(owner, connection)
    assert b'hx-trigger="every 30s"' in client_in.get(reverse("publishing:posts")).content


def test_posts_show_times_in_my_zone(client_in: Client, owner: User,
                                     connection: Connection) -> None:
    Profile.objects.create(user=owner, timezone="Asia/Kolkata")
    when = datetime(2031, 1, 2, 3, 0, tzinfo=UTC)
    post = Post.objects.create(user=owner, text="t", scheduled_for=when)
    Delivery.objects.create(post=post, connection=connection, due_at=when)
    assert b"Thu 2 Jan 2031, 08:30" in client_in.get(reverse("publishing:posts")).content


def test_retry_a_failed_target(client_in: Client, owner: User, connection: Connection) -> None:
    _post, delivery = _post_with(owner, connection, DeliveryState.FAILED, last_error="boom")
    response = client_in.post(reverse("publishing:delivery_retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SCHEDULED


def test_held_target_send_now_or_cancel(client_in: Client, owner: User) -> None:
    a = make_connection(owner, "@a@fake.example", remote_id="1")
    b = make_connection(owner, "@b@fake.example", remote_id="2")
    post = Post.objects.create(user=owner, text="late")
    first = Delivery.objects.create(post=post, connection=a, state=DeliveryState.HELD,
                                    due_at=timezone.now())
    second = Delivery.objects.create(post=post, connection=b, state=DeliveryState.HELD,
                                     due_at=timezone.now())
    client_in.post(reverse("publishing:delivery_send_now", args=[first.pk]))
    client_in.post(reverse("publishing:delivery_cancel", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (DeliveryState.SCHEDULED, DeliveryState.CANCELLED)


def test_cancel_a_scheduled_post(client_in: Client, owner: User,
                                 connection: Connection) -> None:
    post, delivery = _post_with(owner, connection)
    response = client_in.post(reverse("publishing:post_cancel", args=[post.pk]),
                              {"next": reverse("publishing:post_detail", args=[post.pk])})
    assert response["Location"] == reverse("publishing:post_detail", args=[post.pk])
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.CANCELLED


def test_edit_a_scheduled_post(client_in: Client, owner: User, connection: Connection) -> None:
    post, delivery = _post_with(owner, connection)
    page = client_in.get(reverse("publishing:post_edit", args=[post.pk]))
    assert page.status_code == 200
    assert b"hello world" in page.content
    day = (timezone.now() + timedelta(days=3)).date()
    response = client_in.post(reverse("publishing:post_edit", args=[post.pk]), {
        "text": "changed words", "content_warning": "",
        "schedule_date": day.isoformat(), "schedule_time": "07:15",
    })
    assert response.status_code == 302
    post.refresh_from_db()
    delivery.refresh_from_db()
    assert post.text == "changed words"
    assert delivery.due_at == datetime.combine(day, time(7, 15), tzinfo=UTC)


def test_edit_keeps_what_was_typed_when_refused(client_in: Client, owner: User,
                                                connection: Connection) -> None:
    post, _delivery = _post_with(owner, connection)
    day = (timezone.now() + timedelta(days=3)).date()
    response = client_in.post(reverse("publishing:post_edit", args=[post.pk]), {
        "text": "w" * 70, "schedule_date": day.isoformat(), "schedule_time": "07:15",
    })
    assert response.status_code == 400
    assert "w" * 70 in response.content.decode()
    assert b"20 over" in response.content


def test_a_sending_post_cannot_be_edited(client_in: Client, owner: User,
                                         connection: Connection) -> None:
    post, _delivery = _post_with(owner, connection, DeliveryState.SENDING)
    html = client_in.get(reverse("publishing:posts")).content.decode()
    assert reverse("publishing:post_edit", args=[post.pk]) not in html
    response = client_in.get(reverse("publishing:post_edit", args=[post.pk]), follow=True)
    assert "can no longer be edited" in response.content.decode()


def test_detail_shows_the_history(client_in: Client, owner: User,
                                  connection: Connection) -> None:
    response = _compose(client_in, text="with history", targets=[connection.pk])
    post = Post.objects.get()
    assert response.status_code == 302
    html = client_in.get(reverse("publishing:post_detail", args=[post.pk])).content.decode()
    assert "with history" in html
    assert "scheduled" in html
    assert "due " in html


def test_another_users_posts_are_404(client: Client, owner: User, other: User,
                                     connection: Connection) -> None:
    post, delivery = _post_with(owner, connection, DeliveryState.FAILED, last_error="x")
    media = PostMedia.objects.create(post=post, file="posts/x.png", mime_type="image/png")
    client.force_login(other)
    assert b"hello world" not in client.get(reverse("publishing:posts")).content
    for name in ("post_detail", "post_edit"):
        assert client.get(reverse(f"publishing:{name}", args=[post.pk])).status_code == 404
    assert client.post(reverse("publishing:post_cancel", args=[post.pk])).status_code == 404
    for name in ("delivery_retry", "delivery_send_now", "delivery_cancel"):
        url = reverse(f"publishing:{name}", args=[delivery.pk])
        assert client.post(url).status_code == 404
    assert client.get(reverse("publishing:media", args=[media.pk])).status_code == 404
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED


def test_media_is_served_inert(client_in: Client, owner: User, connection: Connection) -> None:
    post, _delivery = _post_with(owner, connection)
    good = PostMedia(post=post, mime_type="image/png")
    good.file.save("a.png", ContentFile(_png().read()))
    sneaky = PostMedia(post=post, mime_type="text/html")
    sneaky.file.save("b.png", ContentFile(b"<script>alert(1)</script>"))
    response = client_in.get(reverse("publishing:media", args=[good.pk]))
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    response = client_in.get(reverse("publishing:media", args=[sneaky.pk]))
    assert response["Content-Type"] == "application/octet-stream"
