"""A column page's render against its selector (issue 13: a column page of 30 items within 3x
its selector's time), in CPU time of the process (`time.process_time`: the machine is shared,
so wall time says more about the neighbours than about us).

The three are timed in turns, one of each a round, after warm-ups: the column's first page as
the htmx fragment, as the whole page without JavaScript, and `selectors.column_page` alone for
the same column and page size."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def cpu_ms(call: Callable[[], object]) -> float:
    started = time.process_time()
    call()
    return (time.process_time() - started) * 1000


def render_against_selector(client: Any, column: Any, *, rounds: int = 30,
                            warmup: int = 5) -> dict[str, Any]:
    from hubbub.timeline import selectors, views

    url = f"/deck/columns/{column.pk}/"
    cases: dict[str, Callable[[], object]] = {
        "fragment": lambda: client.get(url, HTTP_HX_REQUEST="true"),
        "page": lambda: client.get(url),
        "selector": lambda: selectors.column_page(column, limit=views.PAGE_SIZE),
    }
    for _ in range(warmup):
        for call in cases.values():
            call()
    spent: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            spent[name].append(cpu_ms(call))
    p50 = {name: statistics.median(times) for name, times in spent.items()}
    return {"p50_ms": p50, "rounds": rounds,
            "fragment_per_selector": p50["fragment"] / p50["selector"],
            "page_per_selector": p50["page"] / p50["selector"]}
