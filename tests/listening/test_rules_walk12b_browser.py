"""Issue 12's second walkthrough of the Rules pages, in a real browser against `hubbub serve`:
a refused rule says why at the top of its long form and takes the focus there, with links to
the fields; a keyboard user who moves or pauses a rule comes back on the same button; "Import
rules" with no file chosen says so. Each state is audited (shot)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import create_owner
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser

ACTIVE_LABEL = "() => document.activeElement.getAttribute('aria-label')"


def _new_rule(page: Any, url: str, name: str, words: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/rules/new/")
    page.get_by_label("Name (for you)").fill(name)
    page.get_by_label("Words or phrases").fill(words)
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def _tab_to(page: Any, label: str) -> None:
    """Tab from the top of the page until the control labelled `label` has the focus."""
    page.locator("body").focus()
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE_LABEL) == label:
            return
    raise AssertionError(f"Tab never reached {label}")


def test_a_refused_rule_says_why_at_the_top_and_takes_the_focus(
        page: Any, hub_server: tuple[Hub, str]) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    page.goto(url + "/rules/new/")
    page.get_by_label("Words or phrases").fill("relays")
    page.get_by_label("The rule ends on (optional)").fill("2001-01-01")
    page.get_by_label("Hidden until (the start of that day)").fill("2001-01-01")
    page.get_by_role("button", name="Save rule").click()
    summary = page.locator("#rule-errors")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("The rule was not saved")
    expect(summary).to_be_in_viewport()
    shot(page, "rules-walk12b-01-errors")
    # One link a field in error; following one brings the field into view.
    ends = summary.get_by_role("link", name="The rule ends on (optional):")
    expect(ends).to_contain_text("has begun already")
    expect(summary.get_by_role("link", name="Hidden until (the start of that day):"))\
        .to_contain_text("To hide until a date, choose “Hide until a date”")
    ends.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("The rule ends on (optional)")).to_be_in_viewport()
    # "Then" is said once: the section is "What the rule does", its choice "Then".
    expect(page.locator("legend", has_text="What the rule does")).to_have_count(1)
    expect(page.get_by_label("Then", exact=True)).to_have_count(1)


def test_keyboard_users_keep_their_place_after_moving_or_pausing_a_rule(
        page: Any, hub_server: tuple[Hub, str]) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    for name, words in (("Alpha", "alpha"), ("Bravo", "bravo"), ("Charlie", "charlie")):
        _new_rule(page, url, name, words)
    page.goto(url + "/rules/")
    names = page.locator(".rule-row .rule-name")
    _tab_to(page, "Move “Alpha” down")
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Bravo", "Alpha", "Charlie"])
    page.wait_for_function(f"() => ({ACTIVE_LABEL})() === 'Move “Alpha” down'")
    shot(page, "rules-walk12b-02-moved")
    # Enter again: Alpha moves on, and is now last, its Down button disabled: its name.
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Bravo", "Charlie", "Alpha"])
    expect(page.get_by_role("link", name="Alpha", exact=True)).to_be_focused()
    # The next Tab goes on from there: Alpha's Up button.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move “Alpha” up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Bravo", "Alpha", "Charlie"])
    expect(page.get_by_role("button", name="Move “Alpha” up")).to_be_focused()
    _tab_to(page, "Pause “Charlie”")
    page.keyboard.press("Enter")
    expect(page.locator(".rule-row.is-paused")).to_have_count(1)
    expect(page.get_by_role("button", name="Resume “Charlie”")).to_be_focused()
    shot(page, "rules-walk12b-03-paused")


def test_import_with_no_file_chosen_says_so(page: Any, hub_server: tuple[Hub, str]) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    page.goto(url + "/rules/")
    page.get_by_role("button", name="Import rules").click()
    expect(page.get_by_text("Nothing was imported: choose a rules file.")).to_be_visible()
    shot(page, "rules-walk12b-04-no-file")
