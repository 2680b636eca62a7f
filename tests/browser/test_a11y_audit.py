"""The audit every screenshot runs (tests/browser/a11y.py) finds what it looks for: a page with
a fault fails it, naming the rule and the element, and the same page without the fault passes.
Both ways it runs are covered: in the page itself, and through a copy for a page that runs no
script (where axe cannot finish)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.a11y import audit
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en" class="js"><head><title>audit</title></head>
<body><main><h1>A page</h1><p id="faint" style="color: #b8bcc4">Hard to read</p>
<button id="blank"></button></main></body></html>"""

# A box with no label (the hub's policy forbids inline style, so a contrast fault cannot be
# made up in its pages).
UNLABELLED = ("document.querySelector('main').insertAdjacentHTML('beforeend', "
              "'<input id=unlabelled type=text>')")


def test_audit_names_what_is_wrong_and_passes_once_fixed(page: Any) -> None:
    page.set_content(PAGE)
    with pytest.raises(AssertionError) as failed:
        audit(page)
    report = str(failed.value)
    assert re.search(r"color-contrast.*Target: #faint", report, re.S), report
    assert re.search(r"button-name.*Target: #blank", report, re.S), report

    # The same document, fixed: axe is already loaded in it and runs again on the new state.
    page.evaluate("""() => {
        document.getElementById('faint').style.color = '#3d4555';
        document.getElementById('blank').textContent = 'Send';
    }""")
    assert page.evaluate("typeof window.axe") == "object"
    audit(page)


def test_a_page_without_script_is_audited_through_a_copy(
        browser: Any, hub_server: tuple[Hub, str]) -> None:
    _hub, url = hub_server
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  java_script_enabled=False, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(url + "/accounts/login/")
        assert "js" not in (page.get_attribute("html", "class") or "")
        audit(page)  # the page as served passes, in the dark theme

        page.evaluate(UNLABELLED)
        page.fill("#unlabelled", "typed here")
        with pytest.raises(AssertionError) as failed:
            audit(page)
        report = str(failed.value)
        # The copy showed what was typed; the page itself was not touched.
        assert re.search(r"label.*#unlabelled.*value=\"typed here\"", report, re.S), report
        assert page.get_attribute("#unlabelled", "value") is None
        assert page.input_value("#unlabelled") == "typed here"
    finally:
        context.close()


# --- every page, at both sizes, in both themes ----------------------------------------------------
#
# One hub and one signed-in page serve the whole sweep (a hub per page would start sixty). The
# hub holds what makes the pages full: a Nostr account on a real relay, a post sent, posts
# scheduled this week and this month, a draft, and a queue. Each page is then shown at
# 1280x800 and 390x844, light and dark: screenshot (test-artifacts/pages-<size>-<theme>-<page>.png),
# axe audit, and the page is no wider than the window.

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
# The page's width against the window's less a classic scrollbar (a desktop Chromium lays a page out
# 15 px narrower than innerWidth when it scrolls down; a phone's scrollbar takes no room).
WIDER = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
# Signed in; `{post}`, `{scheduled}`, `{queue}`, `{deck}`, `{column}` are filled in from what the
# fixture made.
PAGES = {
    "compose": "/",
    "compose-quote": "/?quote={item}",  # a native quote (Nostr): the note under "Quoting"
    "drafts": "/posts/drafts/",
    "posts": "/posts/",
    "post-detail": "/posts/{post}/",
    "post-edit": "/posts/{scheduled}/edit/",
    "post-replies": "/posts/{post}/replies/",
    "deck": "/deck/",
    "deck-add-column": "/deck/{deck}/columns/add/",
    "deck-column": "/deck/columns/{column}/",
    "deck-item": "/deck/items/{item}/conversation/",  # an item's own page: its actions as forms
    "calendar-week": "/plan/calendar/",
    "calendar-month": "/plan/calendar/month/",
    "queues": "/plan/queues/",
    "queue": "/plan/queues/{queue}/",
    "recurring": "/plan/recurring/",
    "connections": "/connections/",
    "connect": "/connections/connect/",
    "connect-nostr": "/connections/connect/nostr/",
    "apps": "/connections/apps/",
    "import": "/import/",
    "feeds": "/import/feeds/",
    "feed-new": "/import/feeds/new/",
    "rules": "/rules/",
    "rule-new": "/rules/new/",
    "people": "/people/",
    "person": "/people/{person}/",
    "inbox": "/inbox/",
    "inbox-direct": "/inbox/?show=direct",
    "inbox-direct-older": "/inbox/?show=direct&before=99999999999999999.1",  # paged state
    "catch-up": "/catch-up/",
    "settings": "/accounts/settings/",
    "password": "/accounts/password/",
    "not-found": "/nothing/here/",
}
# Signed out (a context without the session): the login page, and the set-up page as it is
# before the owner exists (audited by the fixture, which makes the owner next).
SIGNED_OUT = {"login": "/accounts/login/"}


class Sweep:
    """What the module's hub holds, and the one signed-in page the sweep walks."""

    def __init__(self, url: str, page: Any, ids: dict[str, str],
                 setup_results: dict[tuple[str, str], str]) -> None:
        self.url = url
        self.page = page
        self.ids = ids
        self.setup_results = setup_results
        self.errors: list[str] = []


def _look(page: Any, name: str) -> str:
    """Screenshot and audit the page as it stands; '' when it passes, else what is wrong."""
    from tests.browser.fixtures import shot

    problems = []
    scroll_width, window = page.evaluate(WIDER)
    if scroll_width > window:
        problems.append(f"{page.url} is {scroll_width} px wide in a {window} px window")
    try:
        shot(page, name)
    except AssertionError as failed:
        problems.append(str(failed))
    return "\n".join(problems)


def _show(page: Any, size: str, theme: str) -> None:
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme=theme)


@pytest.fixture(scope="module")
def sweep(browser: Any, tmp_path_factory: pytest.TempPathFactory,
          nostr_peer: Any) -> Any:
    from datetime import datetime, timedelta

    from playwright.sync_api import expect

    from hubbub.networks.nostr import keys
    from tests.browser.fixtures import serving_hub
    from tests.browser.flows import connect_nostr, create_owner

    tmp = tmp_path_factory.mktemp("a11y-sweep")
    with serving_hub(tmp, {"HUBBUB_SCHEDULER_INTERVAL": "0.2"}) as (hub, url):
        context = browser.new_context(viewport=SIZES["desktop"], timezone_id="UTC")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None)
        try:
            setup_results = {}
            page.goto(url + "/")
            expect(page).to_have_url(re.compile(r"/accounts/setup/"))
            for size in SIZES:
                for theme in THEMES:
                    _show(page, size, theme)
                    setup_results[(size, theme)] = _look(page, f"pages-{size}-{theme}-setup")
            _show(page, "desktop", "light")
            create_owner(page, url)
            connect_nostr(page, url, nostr_peer.url)

            # A post sent (queued by the command line, sent by the hub), and a draft the
            # composer kept as it was typed.
            conn = hub.json("connections", "--user", "ada")[0]["id"]
            post = str(hub.json("post", "--user", "ada", "--to", str(conn),
                                "Sent from the audit's hub, to every page, with a link "
                                "https://example.org/more in its text")["id"])
            page.goto(url + "/")
            page.fill("textarea[name=text]", "A draft for later, with a few more words")
            expect(page.locator("#draft-status")).to_contain_text("saved", timeout=30_000)
            page.goto(url + "/posts/")
            expect(page.locator(".target .pill-ok")).to_have_count(1, timeout=30_000)

            # Posts planned over the coming days (the month grid and the week show them).
            now = datetime.now()
            scheduled = ""
            for days, hour in ((1, 9), (1, 12), (1, 15), (1, 18), (2, 10), (4, 8)):
                when = (now + timedelta(days=days)).replace(hour=hour, minute=30)
                made = hub.json("post", "--user", "ada", "--to", str(conn),
                                "--at", when.strftime("%Y-%m-%dT%H:%M"),
                                f"Planned for {when:%A at %H:%M}, a post with some words")
                scheduled = scheduled or str(made["id"])

            # A queue, the deck and one of its columns.
            page.goto(url + "/plan/queues/")
            page.fill("input[name=name]", "Weekdays")
            page.locator("input[name=connections]").first.check()
            page.get_by_role("button", name="Create queue").click()
            expect(page).to_have_url(re.compile(r"/plan/queues/\d+/"))
            queue = re.search(r"/plan/queues/(\d+)/", page.url).group(1)  # type: ignore[union-attr]
            page.goto(url + "/deck/")
            expect(page.locator(".column").first).to_be_visible()
            deck = page.get_attribute("#deck", "data-deck") or ""
            column = page.get_attribute(".column", "data-column") or ""
            # The post sent above, read back into the home column (live or on the page).
            expect(page.locator(".item[data-item]").first).to_be_attached(timeout=60_000)
            item = page.locator(".item[data-item]").first.get_attribute("data-item") or ""
            # A person with a long Nostr key among their accounts (People pages).
            page.goto(url + "/people/")
            page.get_by_label("Name").fill("Ana Lima")
            page.get_by_label("Note (for you)").fill("Met at the conference; writes on Nostr")
            page.get_by_role("button", name="Add person").click()
            expect(page).to_have_url(re.compile(r"/people/\d+/"))
            person = re.search(r"/people/(\d+)/", page.url).group(1)  # type: ignore[union-attr]
            page.get_by_label("Network").select_option("nostr")
            page.get_by_label("Handle, DID or npub").fill(keys.npub("7e" * 32))
            page.get_by_role("button", name="Add account").click()
            expect(page.locator(".person-row")).to_have_count(1)
            # A rule, paused: the Rules page is audited with a paused rule's row (its name and
            # "Paused" pill once fell below 4.5:1).
            page.goto(url + "/rules/new/")
            page.get_by_label("Name (for you)").fill("Quiet the relays talk")
            page.get_by_label("Words or phrases").fill("relays")
            page.get_by_role("button", name="Save rule").click()
            expect(page).to_have_url(re.compile(r"/rules/$"))
            page.get_by_role("button", name="Pause “Quiet the relays talk”").click()
            expect(page.locator(".rule-row.is-paused")).to_have_count(1)
            ids = {"post": post, "scheduled": scheduled, "queue": queue, "deck": deck,
                   "column": column, "person": person, "item": item}
            yield Sweep(url, page, ids, setup_results)
        finally:
            context.close()
    assert not errors, f"the pages logged errors: {errors}"


def _cases() -> list[Any]:
    return [pytest.param(name, size, theme, id=f"{name}-{size}-{theme}")
            for name in [*PAGES, *SIGNED_OUT, "setup"] for size in SIZES for theme in THEMES]


@pytest.mark.parametrize(("name", "size", "theme"), _cases())
def test_every_page_passes_the_audit_and_fits(
        sweep: Sweep, browser: Any, name: str, size: str, theme: str) -> None:
    shot_name = f"pages-{size}-{theme}-{name}"
    if name == "setup":
        problems = sweep.setup_results[(size, theme)]
    elif name in SIGNED_OUT:
        context = browser.new_context(viewport=SIZES[size], color_scheme=theme)
        try:
            page = context.new_page()
            page.goto(sweep.url + SIGNED_OUT[name])
            problems = _look(page, shot_name)
        finally:
            context.close()
    else:
        path = PAGES[name].format(**sweep.ids)
        if "{" in PAGES[name] and not all(sweep.ids.get(k) for k in re.findall(
                r"\{(\w+)\}", PAGES[name])):
            pytest.fail(f"the fixture made nothing for {PAGES[name]}")
        page = sweep.page
        _show(page, size, theme)
        page.goto(sweep.url + path)
        page.wait_for_load_state("load")
        problems = _look(page, shot_name)
    assert not problems, problems

