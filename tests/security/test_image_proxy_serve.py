"""The image proxy inside a real `hubbub serve`: picture servers that never finish their answer
hold every proxy thread, and the hub still answers its pages (and refuses bad links) meanwhile."""

from __future__ import annotations

import re
import threading
from typing import Any

import requests

from hubbub.core.datadir import load_or_create_secrets
from hubbub.core.image_proxy import _signature, encode_address
from hubbub.timeline.media_proxy import PROXY_THREADS
from tests.integration.hubproc import Hub
from tests.security.image_proxy_support import Upstream
from tests.waiting import until

PASSWORD = "correct horse battery staple"


def _signed_in(url: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    page = session.get(url + "/accounts/setup/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    done = session.post(url + "/accounts/setup/", timeout=30, data={
        "csrfmiddlewaretoken": token.group(1), "username": "ada",
        "password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 200, done.url
    assert "sessionid" in session.cookies
    return session


def test_slow_picture_servers_do_not_hold_up_the_hub(
        hub_server: tuple[Hub, str], upstream: Upstream) -> None:
    hub, url = hub_server
    session = _signed_in(url)
    secret = load_or_create_secrets(hub.data_dir).django_secret_key

    def drip(handler: Any) -> None:  # a status line, then a header that never ends
        try:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not upstream.stop.wait(0.05):
                handler.wfile.write(b"a")
                handler.wfile.flush()
        except OSError:
            pass
        finally:
            handler.close_connection = True

    pictures = [f"/slow{n}.png" for n in range(PROXY_THREADS + 4)]
    answers: list[int] = []

    def fetch(path: str) -> None:
        remote = upstream.url(path)
        proxied = f"{url}/proxy/image/{_signature(remote, secret)}/{encode_address(remote)}"
        own = requests.Session()
        own.trust_env = False
        own.cookies.update(session.cookies)
        answers.append(own.get(proxied, timeout=120).status_code)

    for path in pictures:
        upstream.routes[path] = drip
    readers = [threading.Thread(target=fetch, args=(p,), daemon=True) for p in pictures]
    for reader in readers:
        reader.start()
    until(lambda: len(upstream.seen) >= PROXY_THREADS, "every proxy thread is held")

    # While they hang, the hub answers its pages, and a bad picture link at once.
    assert session.get(url + "/deck/", timeout=30).status_code == 200
    assert session.get(url + "/connections/", timeout=30).status_code == 200
    forged = f"{url}/proxy/image/x/{encode_address(upstream.url('/other.png'))}"
    assert session.get(forged, timeout=30).status_code == 403
    assert answers == []  # the slow ones were still waiting all along

    upstream.stop.set()
    for reader in readers:
        reader.join(timeout=120)
    assert answers == [200] * len(pictures)  # each a placeholder, none a 500
