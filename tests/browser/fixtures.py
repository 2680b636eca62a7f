"""Browser tests: Playwright driving Debian's Chromium against a real `hubbub serve` process.

A plugin (registered once in tests/conftest.py), so every folder shares one definition. The
Playwright instance lives for one test module: its sync API keeps an event loop marked running
on the main thread, which would break async tests (asyncio.run) that come later in the run."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.browser.a11y import audit
from tests.clock import Day
from tests.integration.hubproc import Hub, wait_serving

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; .ci/run installs it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  # Nothing past loopback: every other address goes to a proxy that is not
                  # there (Chromium never proxies loopback), so a link the page follows or a
                  # resource a hostile post names fails here instead of leaving the machine.
                  "--proxy-server=http://127.0.0.1:9"],
        )
        yield b
        b.close()


@pytest.fixture
def browser_zone() -> str:
    """The time zone the browser reports (tests may override)."""
    return "UTC"


@pytest.fixture
def clock_day() -> Day | None:
    """The day the hub, the browser and the test believe it is (tests/clock.py); None is the real
    clock. A test that depends on today parametrizes this with tests.clock.DAYS."""
    return None


@pytest.fixture
def clock_offset(clock_day: Day | None) -> Iterator[float | None]:
    """Seconds the clocks are moved by; the test's own process moves with them."""
    if clock_day is None:
        yield None
        return
    offset = clock_day.offset_seconds()
    with time_machine.travel(time.time() + offset, tick=True):
        yield offset


# How long a step or an expectation may wait for its condition before the test fails. These
# are conditions, not pauses (a passing wait returns as soon as it holds), so the bound is set
# for a machine under load: Playwright's own 5 s (expect) failed browser tests whenever other
# work kept the 2 cores busy (load 16: a live item took longer than 15 s to appear).
WAIT_MS = 60_000


def pytest_configure(config: pytest.Config) -> None:
    """Every `expect` of the session, whichever page it looks at, waits up to WAIT_MS."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def page(browser: Any, browser_zone: str, clock_offset: float | None) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  timezone_id=browser_zone)
    context.set_default_timeout(WAIT_MS)
    if clock_offset is not None:
        context.clock.install(time=time.time())  # time-machine has moved this process's clock
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # A page answered 4xx on purpose (a refused login) makes Chromium log "Failed to load
    # resource"; that is not a fault. Broken assets are caught from the responses instead.
    pg.on("console", lambda msg: errors.append(msg.text)
          if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}")
          if r.status >= 400 and r.request.resource_type != "document" else None)
    # A request the network dropped (reset, empty answer) says how, so a failure names its cause.
    # Requests cut short by leaving the page (ERR_ABORTED) or by closing it at the end are normal.
    failed: list[str] = []
    # Only the hub's own requests count: a hostile page's links to other hosts fail on purpose
    # (nothing leaves the machine).
    pg.on("requestfailed", lambda r: failed.append(f"{r.method} {r.url} failed: {r.failure}")
          if "ERR_ABORTED" not in (r.failure or "")
          and urlsplit(r.url).hostname in ("127.0.0.1", "localhost") else None)
    yield pg
    errors += failed
    context.close()
    assert not errors, f"the page logged errors: {errors}"


@contextmanager
def page_of(browser: Any, **options: Any) -> Iterator[Any]:
    """A page in a browser context of its own made with `options` (a phone's viewport, touch);
    fails when the page raised an error."""
    context = browser.new_context(**options)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"the page raised: {errors}"


# Waits for every running animation and transition that ends (a colour easing after a theme
# change, a bar sliding in), not for endless or paused ones (a "sending" pulse). A page that is
# not the visible one (another page of the test in front) advances no animation at all, so the
# wait is also bounded: past 3 s the screenshot is taken as things stand.
SETTLE = """() => Promise.race([
    Promise.all(document.getAnimations()
        .filter(a => a.playState === "running" && a.effect
                && a.effect.getComputedTiming().endTime !== Infinity)
        .map(a => a.finished.catch(() => null))),
    new Promise(resolve => setTimeout(resolve, 3000))])"""


def settle(page: Any) -> None:
    page.evaluate(SETTLE)


def reload_until(page: Any, done: Callable[[], bool], timeout: float = 90.0) -> None:
    """Reload a page that has no live refresh until `done()` holds (a fact the server decides,
    such as a beacon's save or a worker's send), within a bound generous for a busy machine."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the page never showed what it waited for"
        page.wait_for_load_state()
        time.sleep(0.25)
        page.reload()


def pump_until(page: Any, done: Callable[[], bool], what: str) -> None:
    """Wait for a fact that a Playwright event handler (a held route, say) makes true. Those
    handlers run only while Playwright is called, so each turn is a round trip to the page;
    bounded like every other wait here, generously for a busy machine."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not done():
        assert time.monotonic() < deadline, f"never happened: {what}"
        page.evaluate("() => 0")


def shot(page: Any, name: str) -> Path:
    """A screenshot of the page as it stands, once its transitions have ended, and then an
    accessibility audit of that same state (tests/browser/a11y.py): every page and state a
    browser test shows is checked, in the theme it is shown in. The picture is written first,
    so a failed audit can be looked at."""
    settle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    audit(page)
    return path


@contextmanager
def serving_hub(tmp_path: Path, extra_env: dict[str, str], *,
                clock_offset: float | None = None,
                port: int | None = None) -> Iterator[tuple[Hub, str]]:
    """A real `hubbub serve` on `port` (default: a free loopback one) with its own data dir
    under `tmp_path`, until the block ends; then stopped, its log's last lines printed (pytest
    shows them for a failed test only) and its data dir removed."""
    port = port or _free_port()
    hub = Hub(tmp_path / "data", extra_env=extra_env, clock_offset=clock_offset)
    log = tmp_path / "serve.log"
    proc = hub.popen("serve", "--host", "127.0.0.1", "--port", str(port), log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(f"{url}/accounts/login/", proc, log)
        yield hub, url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:
            proc.kill()
        # pytest shows this only for a test that failed: the hub's side of the story.
        print(f"--- last lines of {log} ---\n" + "\n".join(
            log.read_text(errors="replace").splitlines()[-60:]))
        shutil.rmtree(tmp_path / "data", ignore_errors=True)


@pytest.fixture
def hub_server(tmp_path: Path, clock_offset: float | None) -> Iterator[tuple[Hub, str]]:
    """A real `hubbub serve` on a free loopback port with its own data dir (and the test's clock,
    where the test moved it)."""
    with serving_hub(tmp_path, {"HUBBUB_SCHEDULER_INTERVAL": "0.2",
                                "HUBBUB_RETRY_BASE_SECONDS": "0.5"},
                     clock_offset=clock_offset) as served:
        yield served
