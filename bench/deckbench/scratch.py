"""A benchmark's own store: a fresh data dir for one run (removed after unless kept), no
network, the tasks not run, and the store seeded with the deck bench's accounts and items
(deckbench/ingest.py). bench/rules.py and bench/catchup.py start this way."""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deckbench.data import Generator
from deckbench.ingest import make_accounts, run_ingest
from deckbench.machine import forbid_network, log


def in_scratch_store(prefix: str, args: argparse.Namespace,
                     run: Callable[[argparse.Namespace], None]) -> int:
    """Run `run(args)` with Django pointed at a new data dir named `prefix`...; removed after
    unless args.keep."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(HUBBUB_DATA_DIR=str(data_dir), HUBBUB_READ_NETWORKS="0",
                      DJANGO_SETTINGS_MODULE="hubbub.settings",
                      HUBBUB_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend")
    os.environ.pop("DATABASE_URL", None)
    forbid_network()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))  # still cleans up
    try:
        run(args)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


@dataclass
class Seeded:
    user: Any
    accounts: Sequence[Any]
    stats: Any  # the ingest's numbers
    gen: Generator
    rng: random.Random


def seeded_store(args: argparse.Namespace, note: str = "") -> Seeded:
    """Django set up and migrated, then args.connections accounts of args.items items over
    args.days days (args.seed)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    start = datetime.now(UTC) - timedelta(days=args.days, hours=1)
    gen = Generator(rng, start, args.days)
    user, accounts = make_accounts(args.connections, rng, gen)
    log(f"ingesting {args.items:,} items over {args.days:.0f} days{note}")
    stats = run_ingest(accounts, args, gen)
    log(f"ingest: {stats.new / stats.seconds:,.0f} items/s")
    return Seeded(user, accounts, stats, gen, rng)
