"""A post's Mastodon visibility and language, stored with the post and carried by the engine
to each network that takes them: Mastodon's status `visibility`/`language` (read back from the
mock), Bluesky's record `langs`, Nostr's NIP-32 label; and the command line's --visibility and
--language, refused with a sentence when they name nothing real."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Post
from hubbub.publishing.post_options import PostOptions
from hubbub.publishing.services import TargetCustom, create_post
from tests.integration.hubproc import Hub
from tests.integration.test_three_networks import three as three  # the shared fixture
from tests.peers.bluesky import wait_for
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.waiting import until

PASSWORD = "a-long-enough-password\n"


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connect(owner: User, peer: MastodonPeer, account: SeededAccount) -> Connection:
    connected = get_connector("mastodon").connect_with_token(
        peer.base_url, {"access_token": account.access_token})
    return save_connection(owner, "mastodon", connected)


def _post(owner: User, connections: list[Connection], text: str, options: PostOptions,
          **kwargs: Any) -> Post:
    # As the composer does: the options are written with the post's own row.
    return create_post(user=owner, text=text, connections=connections,
                       visibility=options.visibility, language=options.language, **kwargs)


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _sent(peer: MastodonPeer, account: SeededAccount, post: Post) -> list[dict[str, Any]]:
    ids = []
    for delivery in post.deliveries.filter(connection__remote_id=account.id):
        ids += [part["remote_id"] for part in delivery.parts_done] or [delivery.remote_id]
    return [peer.status(account, i) for i in ids if i]


@pytest.mark.django_db(transaction=True)
def test_the_mastodon_server_keeps_the_posts_visibility_and_language(
    mastodon_peer: MastodonPeer, owner: User,
) -> None:
    alice = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer, alice)
    post = _post(owner, [connection], "Nur für meine Leute", PostOptions("private", "de"))
    _run_due()
    [status] = _sent(mastodon_peer, alice, post)
    assert (status["visibility"], status["language"]) == ("private", "de")
    assert Post.objects.get(pk=post.pk).visibility == "private"


@pytest.mark.django_db(transaction=True)
def test_every_part_of_a_thread_carries_them(mastodon_peer: MastodonPeer, owner: User) -> None:
    bob = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer, bob)
    post = _post(owner, [connection], "one two", PostOptions("unlisted", "fr"),
                 customize={connection.pk: TargetCustom(parts=("un", "deux"))})
    _run_due()
    statuses = _sent(mastodon_peer, bob, post)
    assert len(statuses) == 2
    assert {(s["visibility"], s["language"]) for s in statuses} == {("unlisted", "fr")}


@pytest.mark.django_db(transaction=True)
def test_each_accounts_default_when_the_post_names_none(
    mastodon_peer: MastodonPeer, owner: User,
) -> None:
    quiet, close = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.set_posting_defaults(quiet, visibility="unlisted")
    mastodon_peer.set_posting_defaults(close, visibility="private")
    connections = [_connect(owner, mastodon_peer, quiet), _connect(owner, mastodon_peer, close)]
    post = _post(owner, connections, "each its own", PostOptions())
    _run_due()
    assert [s["visibility"] for s in _sent(mastodon_peer, quiet, post)] == ["unlisted"]
    assert [s["visibility"] for s in _sent(mastodon_peer, close, post)] == ["private"]
    assert [s["language"] for s in _sent(mastodon_peer, quiet, post)] == [None]


def test_the_command_line_sends_them_to_all_three_networks(three: dict[str, Any]) -> None:
    hub: Hub = three["hub"]
    text = f"Ein Beitrag, nur für Folgende #{uuid.uuid4().hex[:6]}"
    args = ["post", "--user", "ada", "--visibility", "private", "--language", "de"]
    for ref in three["ids"]:
        args += ["--to", ref]
    post = hub.json(*args, text)
    assert (post["visibility"], post["language"]) == ("private", "de")
    worker = hub.popen("worker")
    try:
        until(lambda: all(t["state"] == "sent" for t in _targets(hub, post["id"])),
              "the post sent to all three")
    finally:
        worker.terminate()
        worker.wait(15)
    [status] = [s for s in three["mastodon_peer"].statuses(three["masto"])
                if text in s["content"]]
    assert (status["visibility"], status["language"]) == ("private", "de")
    sky = three["bluesky_peer"]
    entry = wait_for(lambda: next((e for e in sky.timeline(three["follower"])
                                   if e["post"]["record"].get("text") == text), None))
    assert entry["post"]["record"]["langs"] == ["de"]  # Bluesky has no visibility: public
    [event] = [e for e in three["nostr_peer"].query(
        {"kinds": [1], "authors": [three["nostr"]["remote_id"]]}) if e["content"] == text]
    assert ["l", "de", "ISO-639-1"] in event["tags"]


def _targets(hub: Hub, post_id: int) -> list[dict[str, Any]]:
    posts = {p["id"]: p for p in hub.json("posts", "--user", "ada")}
    targets: list[dict[str, Any]] = posts[post_id]["targets"]
    return targets


def test_the_command_line_refuses_what_names_nothing(tmp_path: Path,
                                                     mastodon_peer: MastodonPeer) -> None:
    hub = Hub(tmp_path / "data")
    hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    account = mastodon_peer.new_account()
    connected = hub.json("connect", "mastodon", "--user", "ada", "--instance",
                         mastodon_peer.base_url, f"--token={account.access_token}")
    base = ["post", "--user", "ada", "--to", str(connected["id"])]
    for extra, said in ((["--visibility", "secret"], "Visibility is one of"),
                        (["--language", "x" * 30], "not a language the hub knows")):
        result = hub.run(*base, *extra, "hello", check=False)
        assert result.returncode == 2, result
        assert said in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
    assert hub.json("posts", "--user", "ada") == []  # nothing half made
