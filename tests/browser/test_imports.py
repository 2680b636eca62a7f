"""Bulk import in a real browser against `hubbub serve` and the Mastodon mock: a CSV file with
one bad row is reported and nothing imported; fixed, it is previewed and imported whole. A feed
served on loopback is followed and its newest entry posted."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner, upload_csv
from tests.imports.feedserver import FeedServer, Item, rss
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def browser_zone() -> str:
    return "Europe/Berlin"


def _images(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, color in (("launch.png", "#5b4fe9"), ("team/picnic.png", "#0f9f62")):
            buffer = io.BytesIO()
            Image.new("RGB", (64, 48), color).save(buffer, "PNG")
            zf.writestr(name, buffer.getvalue())
    return path


def test_csv_with_a_bad_row_is_reported_then_fixed_and_imported(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        tmp_path: Path) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    account = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, account)
    handle = f"@{account.username}"
    day = (datetime.now(BERLIN) + timedelta(days=2)).date()
    rows = [
        "text,time,targets,content_warning,images,alt",
        f'"Our new release is out, with faster imports.",{day} 09:00,{handle},,launch.png,'
        '"A purple launch banner"',
        f'"Team day: thank you all!",{day} 14:30,{handle},,team/picnic.png,',
        f'"Weekly digest, part one",{day} 18:00,@somebody@elsewhere.example,,,',
    ]
    bad = tmp_path / "plan.csv"
    bad.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    images = _images(tmp_path / "images.zip")

    page.goto(url + "/import/")
    expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()
    expect(page.locator(".nav-item.is-active")).to_have_text("Import")
    shot(page, "imports-01-upload")
    upload_csv(page, str(bad), str(images))

    expect(page.get_by_role("heading", name="Fix the file first")).to_be_visible()
    expect(page.locator(".alert-error")).to_contain_text("Nothing was imported.")
    report = page.locator(".imp-table")
    expect(report.locator(".imp-row-num")).to_have_count(2)
    expect(report).to_contain_text("picnic.png has no alt text")
    expect(report).to_contain_text("No connected account of yours is '@somebody@elsewhere.example'")
    expect(report.locator("th.imp-row-num").first).to_contain_text("3")
    shot(page, "imports-02-report")
    page.emulate_media(color_scheme="dark")
    shot(page, "imports-02-report-dark")
    page.emulate_media(color_scheme="light")
    [stored] = [hub.json("posts", "--user", "ada")]
    assert stored == []

    # Fix both rows in the spreadsheet and upload the file again from the report page.
    rows[2] = rows[2].rstrip(",") + ',"Twelve people around a picnic table"'
    rows[3] = rows[3].replace("@somebody@elsewhere.example", handle)
    fixed = tmp_path / "plan-fixed.csv"
    fixed.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    upload_csv(page, str(fixed), str(images), button="Check again")

    expect(page.get_by_role("heading", name="Ready to import")).to_be_visible()
    expect(page.locator(".imp-preview tbody tr")).to_have_count(3)
    expect(page.locator(".imp-preview")).to_contain_text("14:30")
    shot(page, "imports-03-preview")
    page.get_by_role("button", name="Import 3 posts").click()

    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.locator(".imp-alert-ok")).to_contain_text("3 posts scheduled")
    expect(page.locator(".imp-posts li")).to_have_count(3)
    shot(page, "imports-04-imported")
    posts = hub.json("posts", "--user", "ada")
    assert len(posts) == 3
    expected = {datetime(day.year, day.month, day.day, h, m, tzinfo=BERLIN).astimezone(UTC)
                for h, m in ((9, 0), (14, 30), (18, 0))}
    assert {datetime.fromisoformat(p["scheduled_for"]) for p in posts} == expected

    page.goto(url + "/import/")
    expect(page.locator(".imp-recent")).to_contain_text("Imported")
    page.set_viewport_size({"width": 420, "height": 860})
    page.goto(page.url)
    shot(page, "imports-05-upload-narrow")


def test_follow_a_feed_and_post_its_newest_entry(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    account = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, account)
    server = FeedServer()
    try:
        server.put("/feed.xml", rss([
            Item(f"entry-{n}", f"Release notes {n}", f"https://blog.example/notes/{n}",
                 "<p>What changed this week.</p>", "Grace") for n in (3, 2, 1)]))
        page.goto(url + "/import/feeds/")
        expect(page.locator(".empty")).to_contain_text("No feeds yet")
        shot(page, "imports-06-feeds-empty")
        page.get_by_role("link", name="Follow a feed").first.click()
        page.fill("input[name=url]", server.url("/feed.xml"))
        page.check("input[name=targets]")
        page.fill("textarea[name=template]", "{title}: {summary} {link}")
        page.check("input[name=mode][value=schedule]")
        expect(page.locator("input[name=delay_minutes]")).to_be_visible()
        expect(page.locator("select[name=queue]")).to_be_hidden()
        page.check("input[name=post_latest]")
        shot(page, "imports-07-follow")
        page.get_by_role("button", name="Follow").click()

        expect(page.get_by_role("heading", name="The Example Blog")).to_be_visible()
        expect(page.locator(".flash-success")).to_contain_text("scheduled 10 minutes after")
        entries = page.locator(".imp-entries li")
        expect(entries).to_have_count(3)
        expect(entries.first).to_contain_text("Posted")
        expect(page.locator(".imp-entries")).to_contain_text("View post")
        shot(page, "imports-08-feed")

        # A new entry, read by the hub's own worker (periodic job -> task) after "Check now".
        server.put("/feed.xml", rss([
            Item(f"entry-{n}", f"Release notes {n}", f"https://blog.example/notes/{n}",
                 "<p>What changed this week.</p>", "Grace") for n in (4, 3, 2, 1)]))
        page.get_by_role("button", name="Check now").click()
        expect(page.locator(".flash-info")).to_contain_text("read in a few seconds")
        deadline = time.monotonic() + 40
        while page.locator(".imp-entries li").count() < 4 and time.monotonic() < deadline:
            time.sleep(1)
            page.reload()
        expect(entries.first).to_contain_text("Release notes 4")
        expect(entries.first).to_contain_text("Posted")
        expect(page.locator(".imp-entries .pill-ok")).to_have_count(2)
        page.get_by_role("link", name="Feeds", exact=True).first.click()
        expect(page.locator(".imp-feed")).to_contain_text("2 posted")
        shot(page, "imports-09-feeds")
    finally:
        server.close()
