"""People made inside a running hub (`hubbub manage shell`), for browser tests of mentions."""

from __future__ import annotations

from tests.integration.hubproc import Hub


def make_ana_and_bo(hub: Hub, handle: str) -> None:
    """The owner ada's People: Ana Lima with the Mastodon account `handle`, and Bo with none."""
    hub.run("manage", "shell", "--no-imports", "-c",
            "from django.contrib.auth.models import User\n"
            "from hubbub.people import services\n"
            "ada = User.objects.get(username='ada')\n"
            "ana = services.create_person(ada, 'Ana Lima')\n"
            f"services.add_account(ana, 'mastodon', {handle!r})\n"
            "services.create_person(ada, 'Bo')\n")
