"""How heavy the deck's HTML is: a column's page an item, and the whole deck of ten columns on
opening, raw and as it leaves gzip-compressed (core/compress.py), with the time to render it.

    uv run python bench/deck.py --items 3000 --connections 5 --keep --data-dir /tmp/deckstore
    uv run python bench/deck_weight.py --store /tmp/deckstore [--runs 7]
    uv run python bench/deck_weight.py --store /tmp/deckstore --src /tmp/old/src   # another tree
    uv run python bench/deck_weight.py --store /tmp/deckstore --cpu [--src ...]  # page / selector

It also weighs the parts of an item (its attributes, avatar, head, text, actions, ...: bytes of
the column page's items that fall in each, by the class of the outermost element that holds
them), and the deck's first page by part (items, the columns' chrome, the page's templates,
the rest). `--src` measures another checkout's code (e.g. `git archive <commit>`) on the same store.

It works on a copy of a store `bench/deck.py --keep` left (the copy gets ten columns of the
first account's home feed). The deck is measured with the items a column opens with
(timeline.views.FIRST_SCREEN) and, alternated in the same run, with a whole page (PAGE_SIZE) as
before: the ratio is what opening with the first screen saves. Issue 13's goals: under 2 KB of
HTML an item; the deck's first screen under 150 KB.

`--cpu` times instead a column's first page (30 items: the htmx fragment, the whole page) and
its selector alone, in the process's CPU time, in turns (deckbench/render.py; issue 13's goal:
the page within 3x the selector), and prints what the whole page adds to the fragment (the
layout around the column: sidebar, user menu, the column's menu, the head). Compare trees by
running it alternately with and without `--src` on the same store.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from deckbench.machine import forbid_network, load_average  # noqa: E402
from deckbench.render import render_against_selector  # noqa: E402

COLUMNS = 10


def _weigh(html: bytes) -> dict[str, Any]:
    items = len(re.findall(rb"<article", html))
    packed = len(gzip.compress(html))
    return {"bytes": len(html), "gzip": packed, "items": items,
            "per_item": len(html) / items if items else 0.0,
            "gzip_per_item": packed / items if items else 0.0}


# An item's parts, by the class of the element that holds them (old and new markup's names).
PARTS = ("item-context", "item-avatar", "item-head", "item-replying", "item-text", "cw",
         "poll", "media", "link-card", "quote", "item-actions", "acts")


class _Parts(HTMLParser):
    """Bytes of each part of the items in a page: the part is the outermost element whose
    class names one of PARTS; what no part holds inside an <article> is "article (the rest)"."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.lines = [0]
        for line in html.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line.encode()))
        self.stack: list[tuple[str, str | None, int]] = []  # tag, part, start offset
        self.sizes: dict[str, int] = {}
        self.article_bytes = 0
        self.feed(html)

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.lines[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        inside = any(part for _, part, _ in self.stack)
        part = next((c for c in classes if c in PARTS), None) if not inside else None
        self.stack.append((tag, part, self._offset()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return  # <use .../>: opens and closes nothing

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(open_tag == tag for open_tag, _, _ in self.stack):
            return
        while self.stack:
            open_tag, part, start = self.stack.pop()
            if open_tag == tag:
                end = self._offset() + len(f"</{tag}>")
                if part:
                    self.sizes[part] = self.sizes.get(part, 0) + end - start
                if tag == "article":
                    self.article_bytes += end - start
                return


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "use"}


def breakdown(html: bytes) -> dict[str, float]:
    """Bytes an item of each part (see _Parts)."""
    items = len(re.findall(rb"<article", html)) or 1
    parts = _Parts(html.decode())
    found = {part: size / items for part, size in sorted(parts.sizes.items(), key=lambda p: -p[1])}
    found["article (the rest: its tag, layout boxes, whitespace)"] = (
        parts.article_bytes - sum(parts.sizes.values())) / items
    return found


def deck_parts(html: bytes) -> dict[str, int]:
    """Bytes of the deck's page by what holds them: its items, the columns around their items
    (each <section class="column">'s own markup), the page's <template>s (the one copy of an
    item's actions and of a column's chrome), and the rest (the sidebar, the deck's bar, the
    keyboard dialog, the head)."""
    text = html.decode()
    items = sum(len(a.encode()) for a in re.findall(r"<article\b.*?</article>", text, re.S))
    sections = re.findall(r'<section class="column\b.*?</section>', text, re.S)
    in_sections = sum(len(s.encode()) for s in sections)
    in_items = sum(len(a.encode()) for s in sections
                   for a in re.findall(r"<article\b.*?</article>", s, re.S))
    templates = sum(len(t.encode()) for t in re.findall(r"<template\b.*?</template>", text, re.S))
    chrome = in_sections - in_items
    return {"items": items, "columns' chrome": chrome,
            "columns' chrome, a column": chrome // max(len(sections), 1),
            "templates (one copy a page)": templates,
            "the rest (sidebar, deck bar, head, dialogs)": len(html) - items - chrome - templates}


def ten_columns(deck: Any) -> Any:
    """Give the deck COLUMNS columns, copies of its first (the first account's home feed);
    the first column."""
    from hubbub.timeline.models import Column

    base = Column.objects.filter(deck=deck).order_by("position", "pk").first()
    assert base is not None
    feeds = list(base.feeds.all())
    while Column.objects.filter(deck=deck).count() < COLUMNS:
        column = Column.objects.create(deck=deck, title=f"Copy {base.pk}", filters=base.filters,
                                       position=Column.objects.filter(deck=deck).count())
        column.feeds.set(feeds)
    return base


def _open(store: Path) -> tuple[Any, Any]:
    """The bench user's first deck in the store and a client logged in as them."""
    os.environ["HUBBUB_DATA_DIR"] = str(store)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from hubbub.timeline.models import Deck

    user = User.objects.get(username="bench")
    deck = Deck.objects.filter(user=user).order_by("pk").first()
    assert deck is not None, "no deck in the store: make it with bench/deck.py --keep"
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return deck, client


def run(store: Path, runs: int) -> dict[str, Any]:
    deck, client = _open(store)
    from hubbub.timeline import views

    base = ten_columns(deck)
    fragment = client.get(f"/deck/columns/{base.pk}/", HTTP_HX_REQUEST="true").content
    # The items a column opens with: views.first_screen(COLUMNS) where the code has it (the
    # first screen shared out between the columns), else views.FIRST_SCREEN for every column.
    shared = getattr(views, "first_screen", None)
    first_screen = shared(COLUMNS) if shared else views.FIRST_SCREEN
    saved = views.FIRST_SCREEN, getattr(views, "FIRST_SCREEN_ITEMS", None)
    times: dict[int, list[float]] = {first_screen: [], views.PAGE_SIZE: []}
    pages: dict[int, bytes] = {}
    for n in range(runs * 2):
        size = (first_screen, views.PAGE_SIZE)[n % 2]
        if size == views.PAGE_SIZE:  # a whole page a column, as before issue 13
            views.FIRST_SCREEN = views.PAGE_SIZE
            if saved[1] is not None:
                views.FIRST_SCREEN_ITEMS = views.PAGE_SIZE * COLUMNS
        started = time.perf_counter()
        answer = client.get(f"/deck/{deck.pk}/")
        times[size].append((time.perf_counter() - started) * 1000)
        pages[size] = answer.content
        views.FIRST_SCREEN = saved[0]
        if saved[1] is not None:
            views.FIRST_SCREEN_ITEMS = saved[1]
    return {
        "load": load_average(),
        "fragment": _weigh(fragment),
        "parts": breakdown(fragment),
        "deck": {size: {**_weigh(pages[size]), "render_ms_p50": statistics.median(times[size])}
                 for size in times},
        "first_screen": first_screen, "page_size": views.PAGE_SIZE,
        "first_page": pages[first_screen],
    }


def run_cpu(store: Path, rounds: int) -> dict[str, Any]:
    deck, client = _open(store)
    from hubbub.timeline.models import Column

    column = Column.objects.filter(deck=deck).order_by("position", "pk").first()
    assert column is not None
    load_before = load_average()
    result = render_against_selector(client, column, rounds=rounds)
    return {**result, "load": (load_before + load_average()) / 2}


def main_cpu(args: argparse.Namespace) -> None:
    import hubbub

    with tempfile.TemporaryDirectory(prefix="deckweight-") as folder:
        copy = Path(folder) / "store"
        shutil.copytree(args.store, copy)
        result = run_cpu(copy, args.rounds)
    p50 = result["p50_ms"]
    print(f"tree {Path(hubbub.__file__).parents[1]}; load {result['load']:.1f}; CPU ms p50 of "
          f"{result['rounds']}: fragment {p50['fragment']:.2f}, whole page {p50['page']:.2f}, "
          f"selector {p50['selector']:.2f}; fragment / selector "
          f"{result['fragment_per_selector']:.2f}x, whole page / selector "
          f"{result['page_per_selector']:.2f}x; the layout (whole page - fragment) "
          f"{p50['page'] - p50['fragment']:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True,
                        help="the data dir bench/deck.py --keep left")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--src", type=Path, default=None,
                        help="measure the hubbub package under this src folder instead")
    parser.add_argument("--cpu", action="store_true",
                        help="time a column page against its selector (CPU) instead")
    parser.add_argument("--rounds", type=int, default=30, help="with --cpu: timed rounds")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
    forbid_network()
    if args.cpu:
        main_cpu(args)
        return
    with tempfile.TemporaryDirectory(prefix="deckweight-") as folder:
        copy = Path(folder) / "store"
        shutil.copytree(args.store, copy)
        result = run(copy, args.runs)
    frag = result["fragment"]
    print(f"load {result['load']:.1f}")
    print(f"column fragment: {frag['items']} items, {frag['bytes']:,} bytes "
          f"({frag['per_item']:,.0f} an item), gzip {frag['gzip']:,} "
          f"({frag['gzip_per_item']:,.0f} an item)")
    print("an item's parts, bytes an item:")
    for part, size in result["parts"].items():
        print(f"  {part:<58} {size:7,.0f}")
    first, whole = result["first_screen"], result["page_size"]
    for size in (first, whole):
        d = result["deck"][size]
        print(f"deck of {COLUMNS} columns opening with {size} items each: {d['items']} items, "
              f"{d['bytes']:,} bytes, gzip {d['gzip']:,}, render p50 {d['render_ms_p50']:.0f} ms")
    print(f"the first screen's page, bytes by part ({COLUMNS} columns):")
    for part, size in deck_parts(result["first_page"]).items():
        print(f"  {part:<58} {size:7,}")
    a, b = result["deck"][first], result["deck"][whole]
    print(f"ratio first screen / whole page: bytes {a['bytes'] / b['bytes']:.2f}x, "
          f"gzip {a['gzip'] / b['gzip']:.2f}x, "
          f"render {a['render_ms_p50'] / b['render_ms_p50']:.2f}x")


if __name__ == "__main__":
    main()
