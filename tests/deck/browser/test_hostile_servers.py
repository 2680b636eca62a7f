"""The hostile-content corpus end to end: a hostile Mastodon-API server, a hostile XRPC server
and the real test relay serve it in every field they carry; the hub polls them as it polls any
network, and a real browser opens every page that shows what came back (the deck's home,
notifications and mentions columns, Connections, the composer replying and quoting, Posts after
a publish whose answer is hostile). Nothing runs, nothing is fetched from elsewhere, no unsafe
link or control survives, the layout holds, and at least 200 distinct payloads were shown."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from hubbub.networks.nostr import events, keys
from tests.browser.conftest import reload_until, shot
from tests.browser.flows import create_owner
from tests.deck.browser import hostile_feeds as feeds
from tests.integration.hubproc import Hub
from tests.peers.nostr import NostrPeer
from tests.security.corpus import BIDI_CONTROLS
from tests.security.hostile_server import HostileServer, hostile_server
from tests.waiting import until

pytestmark = pytest.mark.browser

# What the page must never hold, measured in the page itself.
INERT = """(bidi) => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) bad.push(`${el.tagName} ${attr.name}`);
    }
  }
  const content = '.item-text, .item-head, .item-context, .item-replying, .cw, .media, '
    + '.link-card, .quote, .conn-body, .replying-to, .quoting';
  for (const el of document.querySelectorAll(
      'main script, iframe, frame, object, embed, applet, portal, base, body meta, main style, '
      + 'main link, template:not(head > #item-acts, head > #column-chrome), svg script, math'))
    bad.push(`element ${el.tagName}`);  // (the hub's one copy of an item's actions, and of a
                                        // column's chrome, is allowed)
  for (const host of document.querySelectorAll(content)) {
    for (const el of host.querySelectorAll('form, input, textarea, select, button[formaction], '
        + 'style, script, img[srcset], video, audio, source')) {
      // The hub's own controls: item actions, the sensitive-media toggle.
      if (!el.closest('.item-actions, .act-form') && !el.matches('.reveal-toggle'))
        bad.push(`in content: ${el.tagName} ${el.outerHTML.slice(0, 80)}`);
    }
  }
  for (const el of document.querySelectorAll('img')) {
    const src = el.getAttribute('src');
    if (src === null) continue;  // the composer's empty picture slots load nothing
    if (!/^\\/(proxy\\/image|static|media)\\//.test(src)) bad.push(`img ${src.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('[href], [action], [formaction], [data-copy]')) {
    const raw = el.getAttribute('href') ?? el.getAttribute('action')
      ?? el.getAttribute('formaction') ?? el.getAttribute('data-copy');
    let url;
    try { url = new URL(raw, location.href); }
    catch (e) { bad.push(`unparsable ${raw}`); continue; }
    if (!['http:', 'https:'].includes(url.protocol))
      bad.push(`link ${el.tagName}.${el.className} ${raw.slice(0, 80)}`);
    // A link inside post HTML keeps what nh3 keeps (its value escaped, spaces sent encoded);
    // every address the hub itself puts in a page passed safe_url: no spaces or quotes.
    const odd = el.closest('.item-text') ? /[\\u0000-\\u001f\\u202a-\\u202e\\u2066-\\u2069]/
      : /[\\s"'<>\\u0000-\\u001f\\u202a-\\u202e\\u2066-\\u2069]/;
    if (odd.test(raw))
      bad.push(`odd link ${el.tagName}.${el.className} ${JSON.stringify(raw.slice(0, 80))}`);
  }
  const text = document.body.innerText;
  for (const ch of bidi) {
    if (text.includes(ch)) bad.push(`bidi U+${ch.codePointAt(0).toString(16)}`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) bad.push('page overflows');
  for (const col of document.querySelectorAll('.column')) {
    const width = col.getBoundingClientRect().width;
    for (const item of col.querySelectorAll('.item')) {
      if (item.scrollWidth > width + 1) {
        bad.push(`item wider than its column ${item.id}`);
        break;
      }
    }
  }
  return bad;
}"""


def _serve_mastodon(server: HostileServer, data: feeds.MastodonFeeds) -> None:
    server.json("/api/v2/instance", data.instance)
    server.json("/api/v1/instance", data.instance)
    server.json("/api/v1/accounts/verify_credentials", feeds.dump(data.me))
    server.json("/api/v1/timelines/home", data.home)
    server.json_for("/api/v1/notifications", lambda path: data.mentions
                    if "mention" in path else data.notifications)
    server.json("/api/v1/statuses", data.published)
    server.json("/api/v1/accounts/1/statuses", "[]")


def _serve_bluesky(server: HostileServer, data: feeds.BlueskyFeeds) -> None:
    xrpc = "/xrpc/"
    server.json(xrpc + "com.atproto.server.createSession", data.session)
    server.json(xrpc + "com.atproto.server.refreshSession", data.session)
    server.json(xrpc + "com.atproto.server.getSession", data.session)
    server.json(xrpc + "com.atproto.server.describeServer",
                feeds.dump({"did": "did:web:evil.test", "availableUserDomains": []}))
    server.json(xrpc + "app.bsky.actor.getProfile", data.profile)
    server.json(xrpc + "app.bsky.feed.getTimeline", data.timeline)
    server.json(xrpc + "app.bsky.notification.listNotifications", data.notifications)
    server.json(xrpc + "app.bsky.feed.getPosts", data.posts)
    server.json(xrpc + "app.bsky.feed.getAuthorFeed", feeds.dump({"feed": []}))


def _publish_all(relay: str, signed: list[dict[str, Any]]) -> list[str]:
    """Send every event over one connection; the relay's refusals, if any. (Synchronous:
    Playwright's sync API keeps an event loop running on this thread.)"""
    from websockets.sync.client import connect

    refused = []
    with connect(relay, max_size=None) as ws:
        for event in signed:
            ws.send(json.dumps(["EVENT", event]))
            while True:  # one event in flight: its OK (a refusal may name no id)
                answer = json.loads(ws.recv(timeout=30))
                if answer[0] == "OK":
                    break
            if not answer[2]:
                refused.append(f"{event['kind']}: {answer[3]}")
    return refused


def _serve_nostr(peer: NostrPeer, p: feeds.Placer) -> keys.KeyPair:
    me = keys.generate_keypair()
    authors = [keys.generate_keypair() for _ in range(6)]
    signed = [events.sign(me.secret_hex, kind=3, content="",
                          tags=[["p", a.public_hex] for a in authors])]
    for who in [me, *authors]:
        content, _ = feeds.nostr_profile(p)
        signed.append(events.sign(who.secret_hex, kind=0, content=content))
    for n in range(feeds.HOME + feeds.MENTIONS):
        author = authors[n % len(authors)]
        content, tags = feeds.nostr_note(p, n, me.public_hex if n >= feeds.HOME else "")
        signed.append(events.sign(author.secret_hex, kind=1, content=content, tags=tags))
    refused = _publish_all(peer.url, signed)
    assert not refused, refused
    return me


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


def _markers(page: Any) -> str:
    """Every text the page holds, hidden or not (a closed warning, an alt text)."""
    text: str = page.evaluate("() => document.body.textContent")
    return text


# The first column holding fewer than `want` items is brought into view and scrolled to its end
# (its sentinel then loads the next page); how many items each column holds.
_SCROLL_ONE_IN = """want => {
  const columns = Array.from(document.querySelectorAll('.column'));
  const short = columns.find(c => c.querySelectorAll('.item').length < want);
  if (short) {
    short.scrollIntoView({ inline: 'nearest', block: 'nearest' });
    const body = short.querySelector('[data-column-body]');
    if (body) body.scrollTop = body.scrollHeight;
  }
  return columns.map(c => c.querySelectorAll('.item').length);
}"""


def _check(page: Any, where: str, dialogs: list[str]) -> None:
    assert dialogs == [], (where, dialogs)
    assert page.evaluate("typeof window.__pwned") == "undefined", where
    bad = page.evaluate(INERT, BIDI_CONTROLS)
    assert bad == [], (where, bad[:20])


def test_hostile_servers_of_three_networks_show_nothing_that_runs(
        page: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    dialogs: list[str] = []
    elsewhere: list[str] = []

    def dialog(opened: Any) -> None:
        dialogs.append(opened.message)
        opened.dismiss()

    page.on("dialog", dialog)
    page.on("request", lambda r: None if r.url.startswith(url + "/") else elsewhere.append(
        f"{r.resource_type} {r.url[:120]}"))

    with hostile_server() as mastodon, hostile_server() as bluesky:
        mastodon.raw("/ok/pic.png", _png(), "image/png")
        placers = {net: feeds.Placer(net, start=start, signable_only=net == "n",
                                     pictures=mastodon.base_url)
                   for net, start in (("m", 0), ("b", 40), ("n", 80))}
        _serve_mastodon(mastodon, feeds.mastodon_feeds(placers["m"]))
        _serve_bluesky(bluesky, feeds.bluesky_feeds(placers["b"]))
        me = _serve_nostr(nostr_peer, placers["n"])

        create_owner(page, url)
        hub.run("connect", "mastodon", "--user", "ada", "--instance", mastodon.base_url,
                "--token=hostile-token")
        hub.run("connect", "bluesky", "--user", "ada", "--service", bluesky.base_url,
                "--handle", "me.evil.test", "--app-password-stdin", stdin="abcd-efgh-ijkl-mnop\n")
        hub.run("connect", "nostr", "--user", "ada", "--relay", nostr_peer.url, "--nsec-stdin",
                stdin=keys.encode_bare("nsec", me.secret_hex) + "\n")
        hub.run("manage", "shell", "-c", (
            "from django.contrib.auth.models import User\n"
            "from hubbub.connections.models import Connection\n"
            "from hubbub.timeline import services\n"
            "user = User.objects.get(username='ada')\n"
            "deck = services.ensure_default_deck(user)\n"
            "for c in Connection.objects.filter(user=user).order_by('network'):\n"
            "    if 'notifications' in services.available_kinds(c):\n"
            "        services.add_column(deck, connections=[c], kind='notifications')\n"))

        # The deck: every column of every network filled from the hostile servers.
        def arrived() -> bool:
            counts: list[int] = page.eval_on_selector_all(
                ".column", "columns => columns.map(c => c.querySelectorAll('.item').length)")
            return len(counts) >= 6 and min(counts) > 0

        page.goto(url + "/deck/")
        reload_until(page, arrived, timeout=180)

        # The deck opens each column with a first screen of items; scrolling every column to
        # its end brings in the rest (a page of 30 each time the sentinel comes into view).
        def scrolled_in() -> bool:
            want = min(feeds.HOME, feeds.MENTIONS, 30)
            counts: list[int] = page.evaluate(_SCROLL_ONE_IN, want)
            return min(counts) >= want

        until(scrolled_in, "every column scrolled to a whole page of items", guard=180)
        # Open a warning and reveal a sensitive picture as a person does, then all the rest.
        page.locator("details.cw > summary").first.click()
        page.locator("label.reveal:visible").first.click()
        page.evaluate("""() => {
          document.querySelectorAll('details').forEach(d => { d.open = true; });
          document.querySelectorAll('.reveal-toggle').forEach(c => { c.checked = true; });
        }""")
        deck_text = _markers(page)
        # The good pictures came through the hub's proxy (the browser never asked the server).
        page.evaluate("() => { for (const i of document.images) i.loading = 'eager'; }")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('img')).some(i => i.naturalWidth === 8)")
        assert any("/ok/pic.png" in path for path in mastodon.requests)
        shot(page, "deck-44-hostile-servers")
        _check(page, "deck", dialogs)
        assert page.locator(".column").count() >= 6
        # Nothing lost: every post each server sent is in its column (a page holds 30).
        shown_per_column = page.eval_on_selector_all(".column", """columns => columns.map(c =>
            [c.querySelector('.column-title').innerText.trim(),
             c.querySelectorAll('.item').length])""")
        by_title: dict[str, list[int]] = {}
        for title, count in shown_per_column:
            by_title.setdefault(title, []).append(count)
        # Mastodon and Bluesky have a notifications feed (more than a page of them: at least
        # the first screen and one page further shown, the rest a scroll away).
        # (Nostr's home also holds the followed authors' other notes the relay keeps, which a
        # scroll brings in: at least the home posts.)
        notifications = by_title.pop("Notifications")
        assert by_title["Mentions"] == [feeds.MENTIONS] * 3, shown_per_column
        assert len(by_title["Home"]) == 3, shown_per_column
        assert min(by_title["Home"]) >= feeds.HOME, shown_per_column
        assert len(notifications) == 2, shown_per_column
        assert min(notifications) >= 30, shown_per_column
        older = page.eval_on_selector_all("a.more-link", "links => links.map(a => a.href)")

        # Each column's own page (the deck without JavaScript), a page further down.
        for address in older:
            page.goto(address)
            expect(page.locator("main")).to_be_visible()  # an older page may be empty
            deck_text += _markers(page)
            _check(page, f"column page {address}", dialogs)
        shot(page, "column-page-hostile-servers")

        # Connections: the three accounts, each with a hostile name, avatar and profile URL.
        page.goto(url + "/connections/")
        expect(page.locator(".conn")).to_have_count(3)
        connections_text = _markers(page)
        shot(page, "connections-hostile-servers")
        _check(page, "connections", dialogs)

        # The composer, answering and quoting a hostile item of each network.
        composer_text = ""
        item_ids = page.context.request.get(url + "/deck/").text()
        picked = sorted(set(re.findall(r'data-item="(\d+)"', item_ids)), key=int)
        # (A deck of many columns opens with 40 items shared out: every column has some.)
        assert len(picked) >= 12
        for pk in picked[::max(1, len(picked) // 6)][:6]:
            for how in ("quote", "reply_to"):
                page.goto(f"{url}/?{how}={pk}")
                expect(page.locator("form textarea").first).to_be_visible()
                if how == "reply_to":
                    expect(page.locator(".replying-to")).to_contain_text("HX")
                composer_text += _markers(page)
                _check(page, f"composer {how}={pk}", dialogs)
        shot(page, "composer-hostile-reply")

        # Posts: published through the hostile Mastodon server, whose answer names a
        # javascript: URL for the post.
        made = hub.json("connections", "--user", "ada")
        mastodon_id = next(c["id"] for c in made if c["network"] == "mastodon")
        hub.run("post", "--user", "ada", "--to", str(mastodon_id), "hello hostile server")
        page.goto(url + "/posts/")
        pill = page.locator("article.post .pill").first
        reload_until(page, lambda: pill.is_visible() and pill.inner_text() == "Sent",
                     timeout=120)
        assert any(path == "/api/v1/statuses" for path, _ in mastodon.bodies)
        shot(page, "posts-hostile-publish")
        _check(page, "posts", dialogs)
        page.get_by_role("link", name="History").click()
        expect(page.locator("main")).to_contain_text("hello hostile server")
        _check(page, "post history", dialogs)
        mastodon.release()
        bluesky.release()

    assert elsewhere == [], elsewhere[:20]
    everything = deck_text + connections_text + composer_text
    shown = {net: placer.shown(everything) for net, placer in placers.items()}
    total = set().union(*shown.values())
    print({net: len(keys_) for net, keys_ in shown.items()}, "distinct:", len(total))
    assert all(len(keys_) >= 60 for keys_ in shown.values()), {
        net: len(keys_) for net, keys_ in shown.items()}
    assert len(total) >= 200, len(total)


def test_the_checks_see_what_they_look_for(page: Any) -> None:
    """The page checks above, run on a page that holds each thing they look for, name each: a
    test that shows nothing would otherwise pass."""
    page.set_content(
        "<main><div class=item-text><img src=x onerror=1><a href='javascript:x'>j</a>"
        "<form></form><iframe></iframe></div><a class=card href='https://a.test/ b'>s</a>"
        "<img src='https://evil.test/p.png'><p>\u202eevil</p>"
        "<div style='width:5000px'>wide</div></main>")
    bad = " | ".join(page.evaluate(INERT, BIDI_CONTROLS))
    for found in ("IMG onerror", "link A. javascript:x", "in content: FORM",
                  "element IFRAME", "odd link A.card", "img https://evil.test/p.png",
                  "bidi U+202e", "page overflows"):
        assert found in bad, (found, bad)
