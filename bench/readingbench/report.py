"""What bench/reading.py reports with: percentiles of seconds as milliseconds, ratios, counts
of log lines, and its progress notes."""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def dist(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(pct(values, 0.95) * 1000, 1),
            "p99_ms": round(pct(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


def note(text: str) -> None:
    print(time.strftime("%H:%M:%S ") + text, file=sys.stderr, flush=True)


def log_lines(folder: Path, needles: tuple[str, ...]) -> dict[str, int]:
    found: Counter[str] = Counter()
    for path in folder.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            for needle in needles:
                if needle in line:
                    found[f"{path.name}: {needle}"] += 1
    return dict(found)


def ratio(a: Any, b: Any) -> float | None:
    return round(b / a, 2) if isinstance(a, int | float) and isinstance(b, int | float) and a \
        else None
