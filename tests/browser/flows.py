"""Steps a person takes in the browser, shared by the browser tests."""

from __future__ import annotations

import re
from typing import Any

from tests.peers.mastodon import MastodonPeer, SeededAccount

PASSWORD = "a long and private passphrase"


def create_owner(page: Any, url: str, username: str = "ada") -> None:
    from playwright.sync_api import expect

    page.goto(url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/setup/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button[type=submit]")
    # Signed in straight away and sent to connect a first account.
    expect(page).to_have_url(re.compile(r"/connections/$"))


def connect_mastodon(page: Any, url: str, peer: MastodonPeer, account: SeededAccount) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/mastodon/']")
    page.fill("input[name=server]", peer.base_url)
    page.get_by_role("button", name="Continue to sign in").click()
    expect(page).to_have_url(re.compile(r"/oauth/authorize"))
    page.click(f"button[name=username][value={account.username}]")
    expect(page).to_have_url(re.compile(r"/connections/"))
    expect(page.locator("body")).to_contain_text(f"@{account.username}@")


def upload_csv(page: Any, csv_path: str, zip_path: str | None = None,
               button: str = "Check file") -> None:
    """On an Import page with the upload form: pick the files and send them to be checked."""
    page.set_input_files("input[name=csv_file]", csv_path)
    if zip_path:
        page.set_input_files("input[name=images]", zip_path)
    page.get_by_role("button", name=button).click()
