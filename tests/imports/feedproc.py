"""A separate hub process for the restart test: `python -m tests.imports.feedproc <command>`
with HUBBUB_DATA_DIR set. Each run is a fresh interpreter: nothing survives but the database.

  setup <feed url>   migrate, make a user with one account, subscribe (schedule mode)
  read               read every subscription once (as the poll task does), print the outcome
  dump               print the posts and entries as JSON
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.imports import subscriptions
    from hubbub.imports.models import FeedEntry, FeedSubscription
    from hubbub.networks.registry import get_connector
    from hubbub.publishing.models import Post

    command = argv[0]
    if command == "setup":
        call_command("migrate", verbosity=0, interactive=False)
        user = User.objects.create_user("ada", password="a long and private passphrase")
        connection = Connection(
            user=user, network="mastodon", base_url="https://masto.example", remote_id="1",
            handle="@ada@masto.example",
            capabilities_json=get_connector("mastodon").default_capabilities().to_json(),
            capabilities_fetched_at=timezone.now() + timezone.timedelta(days=365),
        )
        connection.credentials = {"access_token": "unused"}
        connection.save()
        subscriptions.subscribe(user=user, url=argv[1], connections=[connection],
                                template="{title} {link}", mode="schedule", delay_minutes=60)
    elif command == "read":
        outcomes = [subscriptions.read_subscription(pk).__dict__
                    for pk in FeedSubscription.objects.values_list("pk", flat=True)]
        print(json.dumps(outcomes))
    elif command == "dump":
        print(json.dumps({
            "posts": sorted(Post.objects.values_list("text", flat=True)),
            "entries": sorted(FeedEntry.objects.values_list("entry_id", "state")),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
