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
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))


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


def connect_bluesky(page: Any, url: str, pds_url: str, handle: str, app_password: str,
                    wrong_password: str = "", refused_shot: str = "") -> None:
    """Bluesky's typed form: the handle, an app password and the PDS. With `wrong_password`,
    that one is tried first and must be refused (screenshot `refused_shot`), then the right
    one is typed into the same form."""
    from playwright.sync_api import expect

    from tests.browser.fixtures import shot

    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/bluesky/']")
    page.fill("input[name=handle]", handle)
    page.fill("input[name=base_url]", pds_url)
    if wrong_password:
        page.fill("input[name=app_password]", wrong_password)
        page.get_by_role("button", name="Connect").click()
        expect(page.locator(".alert-error")).to_be_visible()
        if refused_shot:
            shot(page, refused_shot)
    page.fill("input[name=app_password]", app_password)
    page.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))
    expect(page.locator("body")).to_contain_text(handle)


def connect_nostr(page: Any, url: str, relay_url: str, before_submit: str = "") -> None:
    """Nostr with a new key pair the hub makes; `before_submit` names a screenshot of the
    filled form."""
    from playwright.sync_api import expect

    from tests.browser.fixtures import shot

    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/nostr/']")
    page.fill("textarea[name=relays]", relay_url)
    if before_submit:
        shot(page, before_submit)
    page.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))
    expect(page.locator("body")).to_contain_text("npub1")


def upload_csv(page: Any, csv_path: str, zip_path: str | None = None,
               button: str = "Check file") -> None:
    """On an Import page with the upload form: pick the files and send them to be checked."""
    page.set_input_files("input[name=csv_file]", csv_path)
    if zip_path:
        page.set_input_files("input[name=images]", zip_path)
    page.get_by_role("button", name=button).click()


def owner_with_three_accounts(page: Any, url: str, mastodon: MastodonPeer, bluesky: Any,
                              nostr_url: str, name: str = "web") -> tuple[Any, Any, Any]:
    """The owner made, then a Mastodon, a Bluesky and a Nostr account connected through the
    hub's pages; the Bluesky account has a follower whose timeline shows its posts. Returns
    (the Mastodon account, the Bluesky account, its follower)."""
    create_owner(page, url)
    masto = mastodon.new_account()
    connect_mastodon(page, url, mastodon, masto)
    sky = bluesky.create_account(name)
    follower = bluesky.create_account("fan")
    bluesky.follow(follower, sky)
    connect_bluesky(page, url, bluesky.pds_url, sky.handle, sky.app_password)
    connect_nostr(page, url, nostr_url)
    return masto, sky, follower
