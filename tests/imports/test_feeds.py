"""RSS/Atom to posts: feeds served from loopback; each entry posted once, across reads,
restarts and workers; conditional requests; back-off; the SSRF guard."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.imports import subscriptions, tasks
from hubbub.imports.models import EntryState, FeedEntry, FeedMode, FeedSubscription
from hubbub.imports.subscriptions import SubscribeProblem, read_subscription, subscribe
from hubbub.planning import services as planning
from hubbub.publishing.models import Delivery, DeliveryState, Post
from tests.imports.feedserver import FeedServer, Item, atom, rss
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def items(*numbers: int) -> list[Item]:
    """Blog entries, newest first."""
    return [Item(guid=f"tag:blog.example,2026:{n}", title=f"Entry number {n}",
                 link=f"https://blog.example/posts/{n}",
                 summary=f"<p>About <b>{n}</b> &amp; more</p>",
                 author="Grace") for n in sorted(numbers, reverse=True)]


def follow(owner: User, server: FeedServer, connections: list[Connection], **kwargs: Any
           ) -> FeedSubscription:
    options: dict[str, Any] = {"template": "{title} {link}", "mode": FeedMode.SCHEDULE,
                               "delay_minutes": 10}
    options.update(kwargs)
    return subscribe(user=owner, url=server.url("/feed.xml"), connections=connections,
                     **options)


def post_texts() -> list[str]:
    return list(Post.objects.order_by("pk").values_list("text", flat=True))


# --- never twice ---------------------------------------------------------------------------------


def test_rss_entries_are_posted_once_each_as_they_appear(owner: User, masto: Connection,
                                                         server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1, 2, 3)))
    sub = follow(owner, server, [masto])
    assert sub.title == "The Example Blog"
    assert Post.objects.count() == 0  # what was there already is only marked seen
    assert FeedEntry.objects.filter(state=EntryState.SEEN).count() == 3

    server.put("/feed.xml", rss(items(1, 2, 3, 4)))
    before = timezone.now()
    assert read_subscription(sub.pk).posted == 1
    assert post_texts() == ["Entry number 4 https://blog.example/posts/4"]
    post = Post.objects.get()
    assert post.scheduled_for is not None
    assert before + timedelta(minutes=10) <= post.scheduled_for <= timezone.now() + timedelta(
        minutes=10)
    assert [d.connection_id for d in post.deliveries.all()] == [masto.pk]
    assert post.deliveries.get().state == DeliveryState.SCHEDULED
    assert FeedEntry.objects.get(post=post).entry_id == "tag:blog.example,2026:4"

    for _ in range(3):
        assert read_subscription(sub.pk).posted == 0
    server.put("/feed.xml", rss(items(2, 3, 4, 5, 6)))  # 1 fell off the end; 5 and 6 are new
    assert read_subscription(sub.pk).posted == 2
    assert read_subscription(sub.pk).posted == 0
    assert post_texts() == [f"Entry number {n} https://blog.example/posts/{n}" for n in (4, 5, 6)]


def test_conditional_requests_are_answered_304(owner: User, masto: Connection,
                                               server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto])
    assert sub.etag
    assert sub.last_modified
    outcome = read_subscription(sub.pk)
    assert outcome.not_modified
    seen = server.requests_for("/feed.xml")
    assert [s.status for s in seen] == [200, 304]
    assert seen[1].headers["if-none-match"] == sub.etag
    assert seen[1].headers["if-modified-since"] == sub.last_modified
    server.put("/feed.xml", rss(items(1, 2)))
    assert read_subscription(sub.pk).posted == 1
    sub.refresh_from_db()
    assert sub.etag != seen[1].headers["if-none-match"]
    assert read_subscription(sub.pk).not_modified


def test_an_entry_already_claimed_is_not_posted_again(owner: User, masto: Connection,
                                                      server: FeedServer) -> None:
    """Two workers that both fetched the feed: the second insert of the entry loses."""
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto])
    server.conditional = False
    server.put("/feed.xml", rss(items(1, 2)))
    feed_entry = next(e for e in subscriptions.parse(server.documents["/feed.xml"][0], "")
                      .entries if e.entry_id.endswith(":2"))
    assert subscriptions._post_entry(sub, feed_entry, [masto]) == EntryState.POSTED
    assert subscriptions._post_entry(sub, feed_entry, [masto]) is None
    assert read_subscription(sub.pk).posted == 0
    assert Post.objects.count() == 1


def test_reads_are_claimed_by_one_worker(owner: User, masto: Connection,
                                         server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto])
    FeedSubscription.objects.filter(pk=sub.pk).update(next_poll_at=timezone.now())
    assert subscriptions.claim_due() == [sub.pk]
    assert subscriptions.claim_due() == []  # the lease holds it
    later = timezone.now() + subscriptions.LEASE + timedelta(seconds=1)
    assert subscriptions.claim_due(later) == [sub.pk]  # a worker died holding it


@pytest.fixture
def immediate_tasks() -> Iterator[None]:
    """Tasks run as they are enqueued (the worker's job, done in the test's thread)."""
    from django.tasks import task_backends
    from django.tasks.backends.immediate import ImmediateBackend

    previous = task_backends["default"]
    task_backends["default"] = ImmediateBackend("default", {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": [],
        "OPTIONS": {}})
    yield
    task_backends["default"] = previous


@pytest.mark.usefixtures("immediate_tasks")
def test_the_periodic_job_reads_due_feeds_through_tasks(owner: User, masto: Connection,
                                                        server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto])
    server.put("/feed.xml", rss(items(1, 2)))
    assert tasks.enqueue_due() == 0  # not due yet
    FeedSubscription.objects.filter(pk=sub.pk).update(next_poll_at=timezone.now())
    assert tasks.enqueue_due() == 1
    assert post_texts() == ["Entry number 2 https://blog.example/posts/2"]
    sub.refresh_from_db()
    assert sub.next_poll_at > timezone.now() + timedelta(minutes=10)


def test_each_entry_once_across_restarts_and_concurrent_workers(tmp_path: Path,
                                                                server: FeedServer) -> None:
    hub = Hub(tmp_path / "data")

    def run(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "tests.imports.feedproc", *args],
                                cwd=REPO, env=hub.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def finish(proc: subprocess.Popen[str]) -> Any:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        return json.loads(out) if out.strip() else None

    server.put("/feed.xml", atom(items(1, 2)))
    finish(run("setup", server.url("/feed.xml")))
    server.put("/feed.xml", atom(items(1, 2, 3)))
    finish(run("read"))  # a fresh process: posts 3
    finish(run("read"))  # another fresh process: 304, nothing
    server.put("/feed.xml", atom(items(1, 2, 3, 4, 5)))
    server.conditional = False  # every worker gets the full feed and tries every entry
    workers = [run("read") for _ in range(4)]
    outcomes = [finish(w)[0] for w in workers]
    assert sum(o["posted"] for o in outcomes) == 2
    state = finish(run("dump"))
    assert state["posts"] == [f"Entry number {n} https://blog.example/posts/{n}" for n in (3, 4, 5)]
    assert [s for _, s in state["entries"]] == ["seen", "seen", "posted", "posted", "posted"]


# --- modes ---------------------------------------------------------------------------------------


def test_atom_feed_as_drafts_posting_the_latest_now(owner: User, masto: Connection,
                                                    sky: Connection, server: FeedServer) -> None:
    server.put("/feed.xml", atom(items(1, 2)), "application/atom+xml")
    sub = follow(owner, server, [masto, sky], mode=FeedMode.DRAFT, post_latest=True,
                 template="{title} by {author}: {summary} {link}")
    assert sub.title == "Atom Example"
    post = Post.objects.get()
    assert post.is_draft
    assert post.text == "Entry number 2 by Grace: About 2 & more https://blog.example/posts/2"
    assert {d.state for d in post.deliveries.all()} == {DeliveryState.DRAFT}
    assert FeedEntry.objects.get(state=EntryState.SEEN).entry_id.endswith(":1")
    server.put("/feed.xml", atom(items(1, 2, 3)), "application/atom+xml")
    assert read_subscription(sub.pk).posted == 1
    assert Post.objects.filter(is_draft=True).count() == 2


def test_queue_mode_takes_the_next_free_slot(owner: User, masto: Connection,
                                             server: FeedServer) -> None:
    queue = planning.create_queue(owner, name="Weekdays", tz="Europe/Berlin",
                                  connections=[masto])
    planning.add_slots(owner, queue, weekdays=range(7), at=time(9, 0))
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto], mode=FeedMode.QUEUE, queue=queue)
    server.put("/feed.xml", rss(items(1, 2, 3)))
    assert read_subscription(sub.pk).posted == 2
    times = [p.scheduled_for for p in Post.objects.order_by("scheduled_for")]
    assert len(times) == 2
    assert all(t is not None for t in times)
    local = [t.astimezone(planning.localtime.zone("Europe/Berlin")) for t in times if t]
    assert [t.time() for t in local] == [time(9, 0), time(9, 0)]
    assert local[1] - local[0] == timedelta(days=1)
    assert queue.entries.count() == 2


def test_queue_mode_needs_a_queue(owner: User, masto: Connection, server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    with pytest.raises(SubscribeProblem, match="Choose the queue"):
        follow(owner, server, [masto], mode=FeedMode.QUEUE)


# --- fitting -------------------------------------------------------------------------------------


def test_a_long_entry_is_trimmed_per_account_keeping_the_link(
        owner: User, masto: Connection, sky: Connection, server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto, sky], template="{title}\n\n{summary}\n{link}")
    title = "A rather long title about the importance of careful trimming " * 3
    summary = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. 🐈‍⬛ " * 10
    link = "https://blog.example/posts/a-very-long-slug-" + "x" * 120
    server.put("/feed.xml", rss([Item("long", title, link, summary), *items(1)]))
    assert read_subscription(sub.pk).posted == 1
    post = Post.objects.get()
    by_network = {d.connection.network: d for d in post.deliveries.select_related("connection")}
    masto_text = by_network["mastodon"].text_override or post.text
    sky_text = by_network["bluesky"].text_override or post.text
    from hubbub.core.counting import count_text

    assert masto_text == post.text
    assert count_text("mastodon", masto_text, url_length=23) <= 500
    assert sky_text != masto_text
    for text in (masto_text, sky_text):
        assert text.endswith("\n" + link)  # the link is whole
        assert "…" in text
        assert "\ufffd" not in text
    assert sky_text.startswith(title.strip()[:40])
    assert count_text("bluesky", sky_text) <= 300


def test_an_entry_that_cannot_fit_is_recorded_not_retried(owner: User, server: FeedServer
                                                         ) -> None:
    from tests.imports.conftest import account

    tiny = account(owner, "mastodon", "@tiny@masto.example", limit=20)
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [tiny], template="{link}")
    long_link = "https://blog.example/" + "y" * 40
    server.put("/feed.xml", rss([Item("x", "Title", long_link), *items(1)]))
    assert read_subscription(sub.pk).failed == 1
    entry = FeedEntry.objects.get(state=EntryState.FAILED)
    assert "@tiny@masto.example" in entry.error
    assert read_subscription(sub.pk).failed == 0  # not tried again
    assert Post.objects.count() == 0


# --- errors --------------------------------------------------------------------------------------


def test_errors_back_off_show_and_clear(owner: User, masto: Connection,
                                        server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto])
    server.failures["/feed.xml"] = (500, {})
    start = timezone.now()
    assert "500" in read_subscription(sub.pk).error
    sub.refresh_from_db()
    assert sub.failures == 1
    assert "500" in sub.last_error
    first_wait = sub.next_poll_at - start
    assert timedelta(minutes=14) < first_wait <= timedelta(minutes=16)
    read_subscription(sub.pk)
    sub.refresh_from_db()
    assert sub.failures == 2
    assert sub.next_poll_at - timezone.now() > timedelta(minutes=29)  # doubled
    server.failures["/feed.xml"] = (429, {"Retry-After": "7200"})
    read_subscription(sub.pk)
    sub.refresh_from_db()
    assert sub.next_poll_at - timezone.now() > timedelta(minutes=119)
    del server.failures["/feed.xml"]
    server.put("/feed.xml", rss(items(1, 2)))
    assert read_subscription(sub.pk).posted == 1
    sub.refresh_from_db()
    assert sub.failures == 0
    assert sub.last_error == ""


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title></channel></rss>"""


@pytest.mark.parametrize(("body", "message"), [
    (BOMB, "DTD"), (EXTERNAL, "DTD"), (b"<rss><channel>", "not well-formed"),
    (b"<?xml version='1.0'?><svg/>", "not an RSS or Atom feed"),
    (b"<html><head><title>x</title></head></html>", "names no feed"),
    (b"", "not well-formed"),
])
def test_hostile_or_broken_feeds_are_refused(owner: User, masto: Connection, server: FeedServer,
                                            body: bytes, message: str) -> None:
    server.put("/feed.xml", body, "application/xml")
    with pytest.raises(SubscribeProblem, match=message):
        follow(owner, server, [masto])


def test_a_feed_that_rewrites_its_ids_does_not_flood(owner: User, masto: Connection,
                                                     server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1, 2, 3, 4)))
    sub = follow(owner, server, [masto])
    server.put("/feed.xml", rss([Item(f"new-id-{n}", f"Entry {n}", f"https://b.example/{n}")
                                 for n in range(5)]))
    assert read_subscription(sub.pk).posted == 0
    sub.refresh_from_db()
    assert "change its ids" in sub.last_error
    assert Post.objects.count() == 0


def test_web_page_leads_to_its_feed(owner: User, masto: Connection, server: FeedServer) -> None:
    server.put("/blog/", b'<!doctype html><html><head><link rel="alternate" '
                         b'type="application/rss+xml" href="/feed.xml"></head></html>', "text/html")
    server.put("/feed.xml", rss(items(1)))
    sub = subscribe(user=owner, url=server.url("/blog/"), connections=[masto],
                    template="{title} {link}", mode=FeedMode.DRAFT)
    assert sub.url == server.url("/feed.xml")


# --- the SSRF guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), [
    ("LOOPBACK", "loopback"),
    ("http://10.1.2.3/feed.xml", "private address"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/feed.xml", "loopback"),
    ("file:///etc/passwd", "http and https"),
])
def test_feeds_at_private_addresses_are_refused(owner: User, masto: Connection,
                                                server: FeedServer, settings: Any, url: str,
                                                reason: str) -> None:
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    server.put("/feed.xml", rss(items(1)))
    target = server.url("/feed.xml") if url == "LOOPBACK" else url
    with pytest.raises(SubscribeProblem, match=reason):
        subscribe(user=owner, url=target, connections=[masto], template="{title}",
                  mode=FeedMode.DRAFT)
    assert server.log == []


def test_a_redirect_to_a_private_address_is_refused(owner: User, masto: Connection,
                                                    server: FeedServer, settings: Any) -> None:
    server.failures["/moved"] = (302, {"Location": "http://10.0.0.7/feed.xml"})
    with pytest.raises(SubscribeProblem, match="private address"):
        subscribe(user=owner, url=server.url("/moved"), connections=[masto],
                  template="{title}", mode=FeedMode.DRAFT)


# --- pages ---------------------------------------------------------------------------------------


def test_follow_a_feed_through_the_pages(client_in: Client, owner: User, masto: Connection,
                                         server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1, 2)))
    html = client_in.get(reverse("imports:feed_new")).content.decode()
    assert "Keep as drafts for me to review" in html
    response = client_in.post(reverse("imports:feed_new"), {
        "url": server.url("/feed.xml"), "targets": [masto.pk], "template": "{title} {link}",
        "mode": "schedule", "delay_minutes": "5", "post_latest": "on"})
    assert response.status_code == 302, response.content.decode()
    sub = FeedSubscription.objects.get()
    assert sub.delay_minutes == 5
    assert sub.mode == FeedMode.SCHEDULE
    assert Post.objects.count() == 1
    html = client_in.get(response["Location"]).content.decode()
    assert "Entry number 2" in html
    assert "View post" in html

    response = client_in.post(reverse("imports:feed_new"), {
        "url": server.url("/feed.xml"), "targets": [masto.pk], "template": "{tittle}",
        "mode": "draft", "delay_minutes": "5"})
    assert response.status_code == 400
    assert "{tittle} is not a field" in response.content.decode()

    server.failures["/feed.xml"] = (503, {})
    read_subscription(sub.pk)
    html = client_in.get(reverse("imports:feed_detail", args=[sub.pk])).content.decode()
    assert "The last 1 read failed" in html
    assert "503" in html
    assert "Cannot read" in client_in.get(reverse("imports:feeds")).content.decode()

    client_in.post(reverse("imports:feed_action", args=[sub.pk, "pause"]))
    sub.refresh_from_db()
    assert not sub.active
    assert read_subscription(sub.pk) == subscriptions.ReadOutcome()
    client_in.post(reverse("imports:feed_action", args=[sub.pk, "delete"]))
    assert FeedSubscription.objects.count() == 0
    assert Post.objects.count() == 1  # posts made from it stay


def test_resume_marks_what_appeared_meanwhile_as_seen(owner: User, masto: Connection,
                                                      server: FeedServer) -> None:
    server.put("/feed.xml", rss(items(1)))
    sub = follow(owner, server, [masto])
    subscriptions.set_active(sub, False)
    server.put("/feed.xml", rss(items(1, 2)))
    sub.refresh_from_db()
    subscriptions.set_active(sub, True)
    server.put("/feed.xml", rss(items(1, 2, 3)))
    assert read_subscription(sub.pk).posted == 1
    assert post_texts() == ["Entry number 3 https://blog.example/posts/3"]


def test_other_peoples_feeds_are_not_found(client_in: Client, other: User) -> None:
    theirs = FeedSubscription.objects.create(user=other, url="https://x.example/f",
                                             next_poll_at=timezone.now())
    assert client_in.get(reverse("imports:feed_detail", args=[theirs.pk])).status_code == 404
    response = client_in.post(reverse("imports:feed_action", args=[theirs.pk, "delete"]))
    assert response.status_code == 404
    assert FeedSubscription.objects.filter(pk=theirs.pk).exists()


def test_accounts_of_others_cannot_be_chosen(owner: User, other: User, server: FeedServer
                                            ) -> None:
    from tests.imports.conftest import account

    theirs = account(other, "mastodon", "@m@masto.example")
    server.put("/feed.xml", rss(items(1)))
    with pytest.raises(SubscribeProblem, match="not yours"):
        follow(owner, server, [theirs])
    assert Delivery.objects.count() == 0
    _ = datetime.now(UTC)
