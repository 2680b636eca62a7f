"""What every `hubbub` command shares: the database brought up to date, the named user, an
error the person can fix, and the answer printed as text or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


class CLIError(Exception):
    """A problem the person can fix; printed without a traceback, exit status 2."""


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        print(text)


def find_user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise CLIError(f"No user named {name!r}. Create one with: hubbub createuser {name}")
    return user
