"""Profiles taken after the timed phases: more ingest batches and column requests, with
pyinstrument when it is installed, else cProfile."""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from deckbench.data import Account, Generator
from deckbench.ingest import make_batch
from deckbench.machine import log


@contextlib.contextmanager
def profiler(directory: Path, name: str) -> Iterator[None]:
    """pyinstrument when it is installed, else cProfile; the report goes to directory/name.*"""
    try:
        from pyinstrument import Profiler  # type: ignore[import-not-found]
    except ImportError:
        Profiler = None
    if Profiler is not None:
        prof = Profiler(interval=0.0005)
        prof.start()
        try:
            yield
        finally:
            prof.stop()
            (directory / f"{name}.txt").write_text(
                prof.output_text(unicode=True, color=False, show_all=False))
            (directory / f"{name}.html").write_text(prof.output_html())
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(directory / f"{name}.pstats")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        (directory / f"{name}.txt").write_text(out.getvalue())


def run_ingest_profile(directory: Path, accounts: Sequence[Account], gen: Generator,
                       args: argparse.Namespace) -> None:
    """~20,000 more items of one account through ingest, profiled."""
    from hubbub.timeline.ingest import ingest

    directory.mkdir(parents=True, exist_ok=True)
    account = accounts[0]
    account.total += 20_000
    batches = []
    while account.made < account.total:
        size = min(gen.rng.randint(args.batch_min, args.batch_max), account.total - account.made)
        batches.append(make_batch(account, size, gen, args.overlap))
    with profiler(directory, "ingest"):
        for batch in batches:
            ingest(account.feed, batch)


def run_profiles(directory: Path, user: Any, single: Any, merged: Any,
                 accounts: Sequence[Account], gen: Generator, args: argparse.Namespace) -> None:
    """After the timed phases: ~20,000 more items through ingest, and column requests."""
    from django.test import Client
    from django.urls import reverse

    run_ingest_profile(directory, accounts, gen, args)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    for name, column in (("single", single), ("merged", merged)):
        url = reverse("timeline:column", args=[column.pk])
        for _ in range(20):
            client.get(url)
        with profiler(directory, f"column-{name}"):
            for _ in range(200):
                client.get(url)
    log(f"profiles written to {directory}")
