"""Workers killed with SIGKILL at random moments while they post pictures to Instagram: no post
is lost and none is sent twice.

Instagram takes no idempotency key and no upload: each post is a media container (made by the
connector's `stage`, stored by the engine before publishing) that Instagram builds by fetching
the picture from the hub's public address, then `media_publish` of that container. So a kill
can land after a container was made but before it was stored (an unpublished container is left
behind, harmless), or after `media_publish` was sent but before its answer was recorded (the
delivery is swept to "unknown" and settled from the stored container's status and the account's
posts, never by publishing again). The hub runs as `hubbub serve --web-only` for the public
address and as separate `hubbub worker` processes that are killed, like test_crash.py, on the
same SQLite database; the stand-in holds every media_publish a while so kills land mid-send.
Every post is then counted on the stand-in itself, and each delivery must link to its own post.

(A run of its own rather than a seventh target of test_crash.py: every Instagram post needs a
picture, which that run's text posts do not carry, and a web server for Instagram to fetch it.)
"""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.integration import instagram_support
from tests.integration.crash_support import (
    CRASH_ENV,
    kill_workers,
    orphans,
    settle,
    tail,
)
from tests.integration.hubproc import Hub, wait_serving
from tests.peers.instagram.peer import InstagramPeer

pytestmark = pytest.mark.slow

POSTS = 12
KILLS = 12
DELAY_SECONDS = 0.25
DELAYED_CALLS = 1000
SETTLE_GUARD_SECONDS = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _posts_script(texts: list[str]) -> str:
    """A `manage shell` script queueing one post with a picture per text to every connection
    of the crash user, as the composer makes them (create_post with an uploaded PNG)."""
    return (
        "import io\n"
        "from django.contrib.auth.models import User\n"
        "from django.core.files.uploadedfile import SimpleUploadedFile\n"
        "from PIL import Image\n"
        "from hubbub.connections.models import Connection\n"
        "from hubbub.publishing.services import NewMedia, create_post\n"
        "u = User.objects.get(username='crash')\n"
        "cs = list(Connection.objects.filter(user=u))\n"
        f"for n, t in enumerate({texts!r}):\n"
        "    out = io.BytesIO()\n"
        "    Image.new('RGB', (400, 300), (n * 20 % 256, 90, 160)).save(out, 'PNG')\n"
        "    pic = SimpleUploadedFile(f'p{n}.png', out.getvalue(), content_type='image/png')\n"
        "    create_post(user=u, text=t, connections=cs, media=[NewMedia(pic, f'Picture {n}')])\n"
    )


def test_killed_workers_post_each_picture_exactly_once(instagram_peer: InstagramPeer,
                                                        tmp_path: Path) -> None:
    peer = instagram_peer
    app_id, app_secret = peer.create_app(instagram_support.CALLBACK)
    person = peer.create_user(f"crash.{uuid.uuid4().hex[:6]}")
    token = peer.token_for(person, app_id)
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    hub = Hub(tmp_path / "data", extra_env={
        **CRASH_ENV, **instagram_support.ig_env(peer, app_id, app_secret),
        "HUBBUB_PUBLIC_URL": public})
    hub.run("createuser", "crash", "--password-stdin", stdin="a-long-enough-password\n")
    connected = hub.json("connect", "instagram", "--user", "crash", f"--token={token}")
    assert connected["remote_id"] == person.id
    log = tmp_path / "serve.log"
    web = hub.popen("serve", "--web-only", "--host", "127.0.0.1", "--port", str(port), log=log)
    try:
        wait_serving(f"{public}/accounts/login/", web, log)
        run_id = uuid.uuid4().hex[:6]
        texts = [f"crash {run_id} #picture{n} [{n}]" for n in range(POSTS)]
        hub.run("manage", "shell", "--no-imports", "-c", _posts_script(texts))
        peer.fail_next("POST", f"/{person.id}/media_publish", "delay", count=DELAYED_CALLS,
                       seconds=DELAY_SECONDS)
        kill_workers(hub, tmp_path, workers=1, kills=KILLS, seed=20261206)
        peer.clear_faults()
        states, listed = settle(hub, tmp_path, user="crash", workers=1, posts=POSTS,
                                targets=POSTS, timeout=SETTLE_GUARD_SECONDS)
    finally:
        web.terminate()
        try:
            web.wait(10)
        except subprocess.TimeoutExpired:
            web.kill()
    assert states == Counter({"sent": POSTS}), f"{states}\n{tail(tmp_path)}"
    held = [m for m in peer.media(person) if not m.get("parent_id")]
    assert Counter(m["caption"] for m in held) == Counter(dict.fromkeys(texts, 1))
    # Every delivery links to its own post (its permalink, read through the API).
    answer = requests.get(f"{peer.graph_url}/{person.id}/media", timeout=10, params={
        "fields": "id,permalink", "limit": 100, "access_token": token}).json()
    permalinks = {m["id"]: m["permalink"] for m in answer["data"]}
    linked = sorted(t["url"] for p in listed for t in p["targets"])
    assert linked == sorted(permalinks[m["id"]] for m in held)
    # Every picture was fetched from the hub's public address.
    assert all(c["image_url"].startswith(f"{public}/public/media/")
               for c in peer.containers(person))
    caught = orphans(hub)
    print(f"\ninstagram crash test: {KILLS} kills, {caught['instagram']} deliveries caught "
          f"mid-send and settled, {len(peer.containers(person))} containers for {POSTS} posts, "
          f"{POSTS} sent exactly once")
    assert caught["instagram"] >= 1, "no kill landed mid-send; the test proved nothing"
