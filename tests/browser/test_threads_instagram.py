"""Meta's two fetch-by-URL networks in a real browser, as a person uses them: the owner
registers the app on Network apps, the person connects through the network's own consent window
(a Cancel first, then Allow), and one post with a photo, ticked for the account, "Post now":
the network fetches the photo from the hub's public address and holds the post exactly once.

The hub is a real `hubbub serve` on loopback with HUBBUB_PUBLIC_URL its own address (the
stand-ins fetch only from loopback), pointed at the stand-ins (tests/peers/threads,
tests/peers/instagram) by the variables each connector's README names."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import shot
from tests.browser.fixtures import _free_port, serving_hub
from tests.browser.flows import create_owner
from tests.integration.hubproc import Hub
from tests.peers.instagram.peer import InstagramPeer
from tests.peers.threads.peer import ThreadsPeer

pytestmark = pytest.mark.browser


def _photo(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1080), (200, 120, 40)).save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def meta_hub(tmp_path: Path, threads_peer: ThreadsPeer,
             instagram_peer: InstagramPeer) -> Iterator[tuple[Hub, str, Any, Any]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    threads_app = threads_peer.create_app([f"{url}/connections/callback/threads/"])
    instagram_app = instagram_peer.create_app([f"{url}/connections/callback/instagram/"])
    env = {"HUBBUB_SCHEDULER_INTERVAL": "0.2", "HUBBUB_PUBLIC_URL": url,
           "HUBBUB_THREADS_GRAPH_URL": threads_peer.graph_root,
           "HUBBUB_THREADS_AUTHORIZE_URL": threads_peer.base_url,
           "HUBBUB_INSTAGRAM_GRAPH_URL": instagram_peer.graph_root,
           "HUBBUB_INSTAGRAM_API_URL": instagram_peer.api_url,
           "HUBBUB_INSTAGRAM_AUTHORIZE_URL": instagram_peer.base_url}
    with serving_hub(tmp_path, env, port=port) as (hub, served):
        assert served == url
        yield hub, served, threads_app, instagram_app


def _register(page: Any, url: str, slug: str, name: str, app_id: str, secret: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/connections/apps/")
    card = page.locator(f"#app-{slug}")
    expect(card).to_contain_text(f"{url}/connections/callback/{slug}/")
    card.get_by_label(f"{name} app ID").fill(app_id)
    card.get_by_label(f"{name} app secret").fill(secret)
    card.get_by_role("button", name=f"Save {name} app").click()
    expect(page.locator(f"#app-{slug} [data-app-state={slug}]")).to_contain_text("Ready")


def _connect(page: Any, url: str, slug: str, button: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/connections/connect/")
    page.click(f"a[href$='/connections/connect/{slug}/']")
    page.get_by_role("button", name=re.compile("Continue|Connect|sign in", re.I)).first.click()
    expect(page.get_by_role("button", name=button)).to_be_visible()
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(r"/connections/#main$"))


def test_threads_and_instagram_connect_and_one_photo_post(
    page: Any, meta_hub: tuple[Hub, str, Any, Any], threads_peer: ThreadsPeer,
    instagram_peer: InstagramPeer, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    hub, url, threads_app, instagram_app = meta_hub
    create_owner(page, url)
    _register(page, url, "threads", "Threads", *threads_app)
    _register(page, url, "instagram", "Instagram", *instagram_app)
    ann = threads_peer.create_user("ann_bakes", "Ann Baker")
    threads_peer.sign_in(ann)
    bakery = instagram_peer.create_user("ann.bakery", name="Ann's Bakery")
    instagram_peer.sign_in(bakery)

    _connect(page, url, "threads", "Cancel")  # a change of mind: nothing connected, said so
    expect(page.locator(".messages, [role=alert], [role=status]").first).to_be_visible()
    assert "ann_bakes" not in page.locator("main").inner_text()
    shot(page, "meta-01-threads-cancelled")
    _connect(page, url, "threads", "Allow")
    expect(page.locator("main")).to_contain_text("ann_bakes")
    _connect(page, url, "instagram", "Allow")
    expect(page.locator("main")).to_contain_text("ann.bakery")
    shot(page, "meta-02-threads-and-instagram-connected")

    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    expect(page.locator("input[name=targets]:checked")).to_have_count(2)
    text = "Fresh bread at nine: the first loaf of the day"
    page.fill("textarea[name=text]", text)
    instagram_row = page.locator("#counters .counter").filter(has_text="ann.bakery")
    # Instagram takes no post without a picture, and says so before anything is sent.
    expect(instagram_row.locator(".counter-problem")).to_contain_text("picture")
    page.locator("details.media-toggle summary").click()
    page.set_input_files("input[name=image_1]", str(_photo(tmp_path / "loaf.jpg")))
    page.fill("textarea[name=alt_1]", "A round loaf on a board")
    expect(page.locator("input[name=keep_1]")).to_have_value(re.compile(r"^m\d+$"))
    expect(page.locator("#counters .counter")).to_have_count(2)
    expect(instagram_row.locator(".counter-problem")).to_have_count(0)
    shot(page, "meta-03-compose-threads-instagram")
    page.click("button[name=action][value=now]")
    card = page.locator("article.post").first
    expect(card.locator(".target .pill-ok")).to_have_count(2, timeout=60_000)
    shot(page, "meta-04-sent")

    live = [p for p in threads_peer.posts(ann) if not p["deleted"]]
    assert [(p["media_type"], p["text"], p["alt_text"]) for p in live] == [
        ("IMAGE", text, "A round loaf on a board")]
    [container] = [c for c in threads_peer.containers(ann) if c["post_id"] == live[0]["id"]]
    assert container["fetched_from"].startswith(f"{url}/public/media/")
    assert container["mime_type"] == "image/jpeg"
    posted = [m for m in instagram_peer.media(bakery) if not m["deleted"]]
    assert [(m["media_type"], m["caption"], m["alt_text"]) for m in posted] == [
        ("IMAGE", text, "A round loaf on a board")]
    [made] = [c for c in instagram_peer.containers(bakery) if c["published_id"] == posted[0]["id"]]
    assert made["image_url"].startswith(f"{url}/public/media/")
    rows = {c["network"]: c for c in hub.json("connections", "--user", "ada")}
    assert rows["threads"]["remote_id"] == ann.id
    assert rows["instagram"]["remote_id"] == bakery.id
