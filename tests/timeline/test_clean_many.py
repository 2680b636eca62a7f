"""A batch's HTML cleaned on two cores (sanitize.clean_html_many, normalize.normalize_many)
gives exactly what cleaning each markup alone gives, never waits on a busy helper, and raises
what cleaning raised."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from hubbub.core import sanitize
from hubbub.core.sanitize import clean_html, clean_html_many
from hubbub.timeline import normalize as norm
from tests.security.corpus import ALL
from tests.security.test_clean_html_equivalence import _generated, reference
from tests.timeline.conftest import net_item

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _forget() -> None:
    sanitize._REMEMBERED._results.clear()
    sanitize._REMEMBERED._chars = 0


class Markup(str):
    pass


def test_many_gives_what_each_alone_gives() -> None:
    markups = _generated(1_500, seed=41) + [p.value for p in ALL]
    markups += markups[:50] + [Markup(m) for m in markups[:50]] + ["x" * 50_000]
    _forget()
    together = clean_html_many(markups)
    again = clean_html_many(markups)  # now mostly from what was remembered
    _forget()
    alone = [clean_html(m) for m in markups]
    assert together == again == alone
    assert together[:1_500] == [reference(m) for m in markups[:1_500]]


def test_the_helper_takes_a_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both threads clean: the helper thread cleans some of a large batch."""
    threads: set[str] = set()
    real = sanitize.clean_html

    def noting(markup: Any, **kwargs: Any) -> str:
        threads.add(threading.current_thread().name)
        return real(markup, **kwargs)

    monkeypatch.setattr(sanitize, "clean_html", noting)
    if sanitize._helper() is None:
        pytest.skip("one CPU: no helper")
    for attempt in range(20):  # the helper may be slow to start on a loaded machine
        _forget()
        clean_html_many([f"<p>markup {attempt} {n} <b>x</b></p>" * 20 for n in range(2_000)])
        if len(threads) == 2:
            break
    assert threading.current_thread().name in threads
    assert any(name.startswith("clean_html") for name in threads)


def test_a_busy_helper_is_not_waited_for() -> None:
    helper = sanitize._helper()
    if helper is None:
        pytest.skip("one CPU: no helper")
    release = threading.Event()
    busy = helper.submit(release.wait)
    try:
        _forget()
        markups = [f"<p>busy {n} <i>y</i></p>" for n in range(200)]
        assert clean_html_many(markups) == [reference(m) for m in markups]
        assert not busy.done()  # the batch was cleaned while the helper was still held
    finally:
        release.set()
    busy.result()


def test_an_error_in_cleaning_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sanitize.clean_html

    def failing(markup: Any, **kwargs: Any) -> str:
        if "bad" in markup:
            raise ValueError("cannot clean")
        return real(markup, **kwargs)

    monkeypatch.setattr(sanitize, "clean_html", failing)
    _forget()
    markups = [f"<p>{'bad' if n % 7 == 3 else 'good'} {n}</p>" for n in range(300)]
    with pytest.raises(ValueError, match="cannot clean"):
        clean_html_many(markups)


def test_normalize_many_gives_what_normalize_gives() -> None:
    items = [net_item(n, html=m) for n, m in enumerate(_generated(400, seed=43))]
    items += [net_item(1000 + n, html=p.value) for n, p in enumerate(ALL)]
    items += [net_item(2000, html=""), net_item(2001, html=Markup("<p>sub<script>x</script>")),
              net_item(2002, text="no html\n\nhttps://a.example/x", html=""),
              net_item(2003, html=items[0].html)]
    _forget()
    together = norm.normalize_many(items, now=NOW)
    _forget()
    assert together == [norm.normalize(item, now=NOW) for item in items]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_makes_its_own_helper() -> None:
    """After a fork the parent's helper thread is gone: the child starts another, and its
    batches are cleaned by two threads again rather than queued behind a thread that is not
    there."""
    import os

    if sanitize._helper() is None:
        pytest.skip("one CPU: no helper")
    parent = sanitize._helper()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's clean-up
        try:
            helper = sanitize._helper()
            markups = [f"<p>child {n} <b>z</b></p>" for n in range(100)]
            ok = helper is not parent and clean_html_many(markups) == [
                reference(m) for m in markups]
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"
