"""How bench/reading.py makes its hub users: the script a hub's `manage shell` runs to connect
each user's accounts through the connector's own connect, and the hub's command line under
readingbench/hubcalls.py."""

from __future__ import annotations

import sys

from tests.integration.hubproc import Hub

CONNECT = """\
import json, sys
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from hubbub.connections.services import save_connection
from hubbub.networks.registry import get_connector
from hubbub.timeline.models import Feed
from hubbub.timeline.services import ensure_default_deck
users = json.loads(sys.stdin.read())
out = {}
for name, specs in users.items():
    u, _ = User.objects.get_or_create(username=name)
    conns = {}
    for key, (network, base, credentials) in specs:
        c = save_connection(u, network, get_connector(network).connect_with_token(
            base, credentials))
        conns[key] = c.pk
    ensure_default_deck(u)  # as the first visit does: home and mentions of each account
    client = Client()
    client.force_login(u)
    cookie = settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value
    homes = dict(Feed.objects.filter(connection__user=u, key="home").values_list(
        "connection_id", "pk"))
    conns = {key: [cid, homes.get(cid)] for key, cid in conns.items()}
    shown = Feed.objects.filter(columns__deck__user=u).distinct().count()
    out[name] = {"cookie": cookie, "conns": conns, "column_feeds": shown}
print("RESULT" + json.dumps(out))
"""


class CountedHub(Hub):
    """The hub's command line under readingbench/hubcalls.py (the loopback guard, and its calls
    noted)."""

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bench.readingbench.hubcalls", *args]
