"""What every `hubbub` command shares: the database brought up to date, the named user, an
error the person can fix, and the answer printed as text or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any


def migrate(verbosity: int = 0) -> None:
    """Bring the database up to date. Django's `migrate` imports every migration, renders the
    models' past states and checks every permission even when there is nothing to do (a fifth
    of `hubbub serve`'s start on an existing data dir), so it runs only when a migration on disk
    is not recorded as applied."""
    from django.core.management import call_command

    if verbosity or migrations_pending():
        call_command("migrate", interactive=False, verbosity=verbosity)


def migrations_pending() -> bool:
    """Whether some installed app has a migration file the database has not recorded (a new
    database has none recorded). Found as Django's migration loader finds them: the modules of
    each app's `migrations` package whose names do not start with `_` or `~`."""
    import importlib.util
    import pkgutil

    from django.apps import apps
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return True
    applied = set(recorder.applied_migrations())
    for app in apps.get_app_configs():
        spec = importlib.util.find_spec(f"{app.name}.migrations")
        if spec is None or not spec.submodule_search_locations:
            continue
        for module in pkgutil.iter_modules(spec.submodule_search_locations):
            if (not module.ispkg and module.name[0] not in "_~"
                    and (app.label, module.name) not in applied):
                return True
    return False


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
