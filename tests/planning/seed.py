"""A person's plan to look at: three accounts on three networks, posts across this week and
this month (scheduled, sent, failed, late), a queue with slots and a recurring post.

For screenshots and trying the pages by hand, inside a hub:
    hubbub manage shell -c "from tests.planning.seed import seed; seed('ada')"
The accounts point nowhere (.invalid) and nothing is due, so nothing is sent anywhere."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection
from hubbub.core import localtime
from hubbub.networks.registry import get_connector
from hubbub.planning import recurring, services
from hubbub.planning.models import Frequency
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.outgoing import Outgoing

ACCOUNTS = [
    ("mastodon", "@ada@social.invalid", "Ada Lovelace"),
    ("bluesky", "ada.bsky.invalid", "Ada"),
    ("nostr", "npub1ada0000000000000000000000000000000000000000000000000000", "Ada on Nostr"),
]
TEXTS = [
    "Shipping the new calendar today: drag a post to another day and it simply moves.",
    "Reminder: office hours at 3pm. Bring your questions about the analytical engine!",
    "Thread on why notes beat code comments, and when they don't. 🧵",
    "We are hiring a second engineer. Remote friendly, Europe time zones.",
    "Friday links: punch cards, Jacquard looms and the first program ever written.",
    "Weekend reading list is up on the blog.",
    "Monday check-in: what are you working on this week?",
    "New release 0.4: queues, recurring posts and a calendar.",
]


def _connection(user: User, network: str, handle: str, name: str) -> Connection:
    found = Connection.objects.filter(user=user, network=network, handle=handle).first()
    if found:
        return found
    caps = get_connector(network).default_capabilities().to_json()
    connection = Connection(user=user, network=network, base_url="https://social.invalid",
                            remote_id=handle, handle=handle, display_name=name,
                            capabilities_json=caps, capabilities_fetched_at=timezone.now())
    connection.credentials = {"access_token": "not-a-real-token"}
    connection.save()
    return connection


def _at(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return localtime.to_utc(day, time(hour, minute), zone)


def seed(username: str) -> None:
    user = User.objects.get(username=username)
    zone = Profile.objects.get_or_create(user=user)[0].timezone
    mastodon, bluesky, nostr = (_connection(user, *a) for a in ACCOUNTS)
    today = localtime.today(zone)
    monday = today - timedelta(days=today.weekday())
    now = timezone.now()
    plan = [  # (day offset from Monday, hour, minute, accounts, text index)
        (0, 9, 0, [mastodon, bluesky], 6), (0, 15, 30, [mastodon], 1),
        (1, 8, 15, [bluesky], 2), (1, 12, 0, [mastodon, bluesky, nostr], 0),
        (2, 10, 45, [nostr], 3), (2, 17, 0, [mastodon], 4),
        (3, 9, 30, [mastodon, nostr], 7), (4, 11, 0, [bluesky], 4),
        (4, 16, 0, [mastodon, bluesky], 5), (5, 10, 0, [mastodon], 5),
        (8, 9, 0, [mastodon, bluesky], 1), (10, 14, 0, [nostr], 2), (12, 11, 30, [bluesky], 0),
        (15, 10, 0, [mastodon], 3), (17, 18, 0, [mastodon, bluesky], 7), (-3, 10, 0, [bluesky], 6),
        (-5, 9, 0, [mastodon], 2), (22, 9, 0, [mastodon], 4),
    ]
    for offset, hour, minute, targets, text in plan:
        when = _at(zone, monday + timedelta(days=offset), hour, minute)
        post = publishing.create_post(user=user, text=TEXTS[text], connections=targets,
                                      scheduled_for=max(when, now + timedelta(minutes=5)),
                                      tz=zone)
        if when < now:  # the past: most went out, one failed, one waited for its owner
            state = DeliveryState.SENT
            if (offset, hour) == (2, 10):
                state = DeliveryState.FAILED
            if (offset, hour) == (1, 8):
                state = DeliveryState.HELD
            post.scheduled_for = when
            post.save(update_fields=["scheduled_for"])
            Delivery.objects.filter(post=post).update(state=state, due_at=when, sent_at=when)
    queue = services.create_queue(user, name="Weekday mornings", tz=zone,
                                  connections=[mastodon, bluesky])
    services.add_slots(user, queue, weekdays=[0, 1, 2, 3, 4], at=time(8, 30))
    services.add_slots(user, queue, weekdays=[1, 3], at=time(13, 0))
    for text in ("Good morning! Today's tip: keyboard shortcuts in the deck (press ?).",
                 "A short thread on exactly-once delivery, and why we save the key first.",
                 "What would you like to see in the next release?"):
        services.add_to_queue(user, queue, Outgoing(text=text, targets=()))
    recurring.create_recurring(user, recurring.Rule(
        text="Monday check-in: what are you working on this week?", connections=[mastodon],
        frequency=Frequency.WEEKLY, weekdays=[0], time_of_day=time(9, 0), tz=zone,
        starts_on=today, until=today + timedelta(days=365)))
