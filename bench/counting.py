"""How long each network's counter takes on a megabyte of hostile text (issue 9).

    uv run python bench/counting.py                    # every case, best of 3, CPU ms
    uv run python bench/counting.py --size 200000      # a smaller text
    uv run python bench/counting.py --before /tmp/old/src --timeout 60
                                                       # the same cases on another checkout
    uv run python bench/counting.py --write            # also put the table in docs/benchmarks.md
    uv run python bench/counting.py --only "links without spaces" --only "80 distinct"

Each case runs in a child process (so a counter that takes hours can be stopped after
--timeout seconds) and is timed with the process's CPU clock, which a busy machine inflates
less than the wall clock. The first count in a process builds the sets of code points and
compiles the patterns that hold the list of top-level domains (a few hundred milliseconds, once
per process); each child pays that before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench/counting.py: start -->", "<!-- bench/counting.py: end -->"

PROSE = (
    "Morning all! The new release is out: https://example.org/releases/2026-12 (notes at "
    "https://docs.example.org/changes?from=5.1&to=5.2#breaking). Thanks @ada@fosstodon.org and "
    "@grace for the reviews \U0001f44d\U0001f3fd. Questions? #hubbub #release \u2014 日本語の説明は"
    "こちら。example.com/ja/ \U0001f468\u200d\U0001f469\u200d\U0001f467 caf\u00e9 na\u00efve.\n\n"
)

# (name, rules, how to make it from a size)
CASES: list[tuple[str, tuple[str, ...], str]] = [
    ("prose with links, mentions, emoji", ("mastodon", "x", "bluesky", "threads", "linkedin",
                                           "graphemes"), "repeat(PROSE)"),
    ("links and mentions", ("mastodon", "x"), "repeat('see https://example.com/x @bob@a.b hi ')"),
    ("a.a.a.a", ("x", "mastodon"), "repeat('a.')"),
    ("@a@b.c repeated", ("mastodon",), "repeat('@a@b.c ')"),
    ("@a. repeated", ("mastodon",), "repeat('@a.')"),
    ("http:// then a.a.a", ("mastodon", "x"), "'http://' + repeat('a.')"),
    ("http://a. repeated", ("mastodon", "x"), "repeat('http://a.')"),
    ("a link, then ) repeated", ("mastodon", "x"), "'https://example.com/' + repeat(')')"),
    ("a link, then . repeated", ("mastodon", "x"), "'https://example.com/' + repeat('.')"),
    ("https://a.io repeated", ("mastodon", "x"), "repeat('https://a.io ')"),
    ("b.io repeated", ("x",), "repeat('b.io ')"),
    ("emoji with skin tones", ("threads", "x", "bluesky"), "repeat('\\U0001f44d\\U0001f3fd ')"),
    # added with the third round (docs/benchmarks.md says which are still over 100 ms, and why)
    ("ZWJ families", ("threads", "x", "bluesky"),
     "repeat('\\U0001f468\\u200d\\U0001f469\\u200d\\U0001f467 ')"),
    ("flags", ("threads", "x", "bluesky"), "repeat('\\U0001f1e9\\U0001f1ea ')"),
    ("Hindi", ("mastodon", "x", "threads"), "repeat('\u0928\u092e\u0938\u094d\u0924\u0947 ')"),
    ("links with a query", ("mastodon", "x"), "repeat('https://a.io/x?y=1 ')"),
    ("links without spaces", ("x",), "repeat('x.io,')"),
    ("80 distinct emoji", ("threads", "x", "bluesky"),
     "''.join(chr(0x1F600 + i % 80) + ' ' for i in range(size // 2))[:size]"),
]

CHILD = r"""
import json, sys, time
from hubbub.core.counting import count_text
PROSE = json.loads(sys.argv[4])
size = int(sys.argv[3])
def repeat(unit):
    return (unit * (size // len(unit) + 1))[:size]
text = eval(sys.argv[2])
rule = sys.argv[1]
count_text(rule, "\u00e9\U0001f44d https://a.io/x (b.io) @a@b.c")  # sets and patterns, once
best = None
for _ in range(int(sys.argv[5])):
    start = time.process_time()
    count = count_text(rule, text)
    spent = time.process_time() - start
    best = spent if best is None else min(best, spent)
print(json.dumps({"ms": best * 1000, "count": count, "chars": len(text)}))
"""


def run(src: Path, rule: str, make: str, size: int, runs: int, timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, rule, make, str(size), json.dumps(PROSE), str(runs)],
            capture_output=True, text=True, timeout=timeout, env=env, check=True,
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout:,.0f} s"
    except subprocess.CalledProcessError as exc:
        return f"error: {exc.stderr.strip().splitlines()[-1]}"
    result = json.loads(done.stdout)
    return f"{result['ms']:,.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters (1,000,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout's src/ to compare with")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per case and side")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="only the cases whose text names this (repeatable; not with --write)")
    args = parser.parse_args()
    if args.only and args.write:
        parser.error("--write puts the whole table in the docs: run every case")

    head = "| text | rule | after: CPU ms |" + (" before: CPU ms |" if args.before else "")
    rows = [head, "|---|---|---|" + ("---|" if args.before else "")]
    for name, rules, make in CASES:
        if args.only and not any(part in name for part in args.only):
            continue
        for rule in rules:
            after = run(ROOT / "src", rule, make, args.size, args.runs, args.timeout)
            row = f"| {name} | {rule} | {after} |"
            if args.before:
                row += f" {run(args.before, rule, make, args.size, 1, args.timeout)} |"
            print(row, flush=True)
            rows.append(row)
    load = os.getloadavg()[0]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    table = "\n".join(rows)
    print(f"\n{args.size:,} characters, best of {args.runs}, load average {load:.1f}, {stamp}")
    if args.write:
        text = DOCS.read_text()
        section = (f"{START}\n{args.size:,} characters each, best of {args.runs} (before: one "
                   f"run, stopped after {args.timeout:,.0f} s),\nload average {load:.1f}, "
                   f"{stamp}.\n\n{table}\n{END}")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"{DOCS} has no {START} ... {END} section to fill")
        DOCS.write_text(pattern.sub(lambda _: section, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
