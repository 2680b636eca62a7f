"""An answer the network refuses loses nothing (issue 12, the inbox), against mastodon-mock: a
reply over the account's limit is refused before anything is saved or sent, the entry keeps
its read state, and the words come back in the reply box with the reason beside it; the same
form, shortened, then goes out once and marks the entry read. A direct answer the server
refuses (503), cannot be told about in time, or whose token was revoked, leaves the entry as
it was and keeps the words too. The box's counter counts as the network does; Done lands on
the next entry."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from hubbub.inbox.models import Answer, EntryState
from hubbub.jobs import scheduler
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState, Post
from hubbub.timeline.models import Item
from tests.inbox.test_inbox_mastodon import _token
from tests.inbox.test_inbox_mastodon import setup as setup  # the fixture, re-exported
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db(transaction=True)


def _box(page: str, item: Item) -> str:
    """The entry's reply box, as the page renders it."""
    found = re.search(rf'<details class="inbox-reply" data-reply[^>]*>(?:(?!</details>).)*'
                      rf'id="reply-{item.pk}".*?</details>', page, re.S)
    assert found, "a reply box for the entry"
    return found.group(0)


def _kept(page: str, item: Item) -> tuple[str, str]:
    """The words and the reason the entry's (opened) box gives back."""
    box = _box(page, item)
    assert re.match(r'<details class="inbox-reply" data-reply open data-kept>', box), box[:80]
    words = re.search(r"<textarea[^>]*>(.*?)</textarea>", box, re.S)
    error = re.search(rf'<p class="inbox-error inbox-reply-error" id="reply-{item.pk}-error">'
                      r"(.*?)</p>", box, re.S)
    assert words, box
    assert error, box
    assert f'aria-describedby="reply-{item.pk}-error ' in box
    return html.unescape(words.group(1)), re.sub(r"<[^>]+>", "", error.group(1)).strip()


def _mine(peer: MastodonPeer, me: Any, words: str) -> list[dict[str, Any]]:
    return [s for s in peer.statuses(me) if words in s["content"]]


def test_a_reply_over_the_limit_is_refused_before_sending_and_kept(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    mention, friend = setup["mention"], setup["friend"]
    page = client.get("/inbox/").content.decode()
    token = _token(page, mention)
    opening = f"@{friend.username} "
    long = opening + "<b>long</b> " * 500  # 5,000+ characters; the server takes 500
    response = client.post(f"/inbox/{mention.pk}/reply/",
                           {"text": long, "token": token}, follow=True)
    said = response.content.decode()
    # Refused here, before anything was saved or sent: no answer, no post, nothing on the mock.
    assert not Answer.objects.exists()
    assert not Post.objects.exists()
    assert response.redirect_chain[-1][0].endswith(f"#entry-{mention.pk}")
    words, error = _kept(said, mention)
    assert words == long  # whole, as typed, the markup escaped in the page
    assert "<b>long</b>" not in said
    assert re.fullmatch(r"Not sent: @\S+: \d+ characters over the limit of 500\.", error), error
    over = int(error.split(": ")[2].split()[0])
    counter = _box(said, mention).split(f'id="reply-{mention.pk}-counter"', 1)[1]
    assert f"{500 + over} / 500 characters" in counter  # counted with no script, as it stands
    assert f"{over} characters over the limit of 500" in counter
    assert not EntryState.objects.filter(item=mention).exists()  # still unread
    assert "Unread" in _entry(client.get("/inbox/").content.decode(), mention)
    # Kept for the page that followed, once: the next page has the box as new.
    assert "data-kept" not in client.get("/inbox/").content.decode()

    # The same form, shortened, goes out, once however often it is sent, and the entry is read.
    for _ in range(2):
        client.post(f"/inbox/{mention.pk}/reply/", {"text": opening + "short now", "token": token})
    answer = Answer.objects.get(item=mention)
    assert answer.state == Answer.SENT, answer.error
    assert EntryState.objects.get(item=mention).state == EntryState.READ
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    delivery = answer.post.deliveries.get()  # type: ignore[union-attr]
    assert delivery.state == DeliveryState.SENT
    assert len(_mine(mastodon_peer, setup["me"], "short now")) == 1


def _entry(page: str, item: Item) -> str:
    found = re.search(rf'<article [^>]*id="entry-{item.pk}".*?</article>', page, re.S)
    assert found, "the entry on the page"
    return found.group(0)


def test_a_direct_answer_the_server_refuses_keeps_the_entry_and_the_words(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    direct = setup["direct"]
    client.post(f"/inbox/{direct.pk}/state/", {"action": "read", "show": "direct"})
    mastodon_peer.add_fault({"type": "status", "status": 503}, methods=["POST"],
                            path="/api/v1/statuses")
    page = client.get("/inbox/?show=direct").content.decode()
    token = _token(page, direct)
    response = client.post(f"/inbox/{direct.pk}/reply/",
                           {"text": "see you Friday", "token": token, "show": "direct"},
                           follow=True)
    words, error = _kept(response.content.decode(), direct)
    assert words == "see you Friday"
    assert error.startswith("Not sent: "), error
    assert "HTTP 503" in error, error
    assert Answer.objects.get(token=token).state == Answer.FAILED
    # It was read, and stays read (a refusal neither marks nor unmarks).
    assert EntryState.objects.get(item=direct).state == EntryState.READ
    client.post(f"/inbox/{direct.pk}/state/", {"action": "unread", "show": "direct"})

    # The box, edited, is a new answer: it goes out, and only then is the entry read.
    page = client.get("/inbox/?show=direct").content.decode()
    assert "inbox-again" in page  # the failed one can still go again, as it was
    again = _token(_box(page, direct), direct)
    assert again != token
    client.post(f"/inbox/{direct.pk}/reply/",
                {"text": "see you Friday at six", "token": again, "show": "direct"})
    assert Answer.objects.get(token=again).state == Answer.SENT
    assert EntryState.objects.get(item=direct).state == EntryState.READ
    assert len(_mine(mastodon_peer, setup["me"], "Friday at six")) == 1


def test_a_revoked_token_or_no_answer_in_time_keeps_the_entry_unread(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer,
        settings: Any) -> None:
    direct = setup["direct"]
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    mastodon_peer.add_fault({"type": "timeout", "delay_ms": 30_000}, methods=["POST"],
                            path="/api/v1/statuses")
    page = client.get("/inbox/?show=direct").content.decode()
    response = client.post(f"/inbox/{direct.pk}/reply/",
                           {"text": "are you there?", "token": _token(page, direct)},
                           follow=True)
    words, error = _kept(response.content.decode(), direct)
    assert words == "are you there?"
    assert "may have been sent" in error, error
    assert not EntryState.objects.filter(item=direct).exists()
    mastodon_peer.clear_faults()

    mastodon_peer.revoke(setup["me"])
    page = client.get("/inbox/?show=direct").content.decode()
    response = client.post(f"/inbox/{direct.pk}/reply/",
                           {"text": "hello again", "token": _token(page, direct)}, follow=True)
    words, error = _kept(response.content.decode(), direct)
    assert words == "hello again"
    assert "Reconnect" in error, error
    assert not EntryState.objects.filter(item=direct).exists()


def test_the_counter_counts_as_the_network_does(setup: dict[str, Any], client: Client) -> None:
    mention = setup["mention"]
    page = client.get("/inbox/").content.decode()
    box = _box(page, mention)
    assert f'hx-post="/inbox/{mention.pk}/count/"' in box
    assert f'id="reply-{mention.pk}-counter" aria-live="polite"' in box
    link = "https://example.org/" + "a" * 200  # Mastodon counts any link as 23
    counted = client.post(f"/inbox/{mention.pk}/count/", {"text": f"see {link}"}).content.decode()
    assert "27 / 500 characters" in counted
    assert "over the limit" not in counted
    counted = client.post(f"/inbox/{mention.pk}/count/", {"text": "x" * 600}).content.decode()
    assert "600 / 500 characters" in counted
    assert "100 characters over the limit of 500" in counted
    assert client.post("/inbox/999999999/count/", {"text": "x"}).status_code == 404


def test_done_lands_on_the_next_entry(setup: dict[str, Any], client: Client) -> None:
    mention, direct = setup["mention"], setup["direct"]
    page = client.get("/inbox/").content.decode()
    # The page's order: the mention, then the direct thread; each names where done lands.
    assert f'name="next" value="entry-{direct.pk}"' in _entry(page, mention)
    assert f'name="next" value="entry-{mention.pk}"' in _entry(page, direct)
    response = client.post(f"/inbox/{mention.pk}/state/",
                           {"action": "done", "next": f"entry-{direct.pk}"})
    assert response["Location"] == f"/inbox/#entry-{direct.pk}"
    response = client.post(f"/inbox/{mention.pk}/state/",
                           {"action": "undone", "next": "javascript:alert(1)", "show": "done"})
    assert response["Location"] == "/inbox/?show=done#inbox-entries"
    response = client.post(f"/inbox/{mention.pk}/state/", {"action": "read"})
    assert response["Location"] == f"/inbox/#entry-{mention.pk}"
