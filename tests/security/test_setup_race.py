"""Ten browsers post the first-run set-up form at the same moment to a real `hubbub serve`, on
SQLite and on PostgreSQL: exactly one owner is made, and the others are told so in words."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests

from tests.integration.hubproc import Hub, wait_serving
from tests.peers.procgroup import free_ports

BROWSERS = 10
PASSWORD = "a long enough pass phrase"
ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    name = f"hubbub_setup_race_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}")
    try:
        yield f"postgresql://root@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _form_session(url: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(url, timeout=30)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text
    return session, found.group(1)


def test_simultaneous_setups_make_exactly_one_owner(tmp_path: Path, database_url: str) -> None:
    hub = Hub(tmp_path / "data", database_url=database_url)
    (port,) = free_ports(1)
    log = tmp_path / "serve.log"
    server = hub.popen("serve", "--web-only", "--port", str(port), log=log)
    try:
        base = f"http://127.0.0.1:{port}"
        setup_url = f"{base}/accounts/setup/"
        wait_serving(setup_url, server, log)
        forms = [_form_session(setup_url) for _ in range(BROWSERS)]
        barrier = threading.Barrier(BROWSERS)

        def post(n: int) -> requests.Response:
            session, token = forms[n]
            barrier.wait()  # all ten go at once
            return session.post(setup_url, timeout=60, allow_redirects=False, data={
                "csrfmiddlewaretoken": token, "username": f"owner{n}",
                "password1": PASSWORD, "password2": PASSWORD, "timezone": "Europe/Paris",
            })

        with ThreadPoolExecutor(BROWSERS) as pool:
            responses = list(pool.map(post, range(BROWSERS)))
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [409] * (BROWSERS - 1), (statuses, log.read_text())
    winner = next(n for n, r in enumerate(responses) if r.status_code == 302)
    assert responses[winner].headers["Location"] == "/connections/"
    for response in responses:
        if response.status_code == 409:
            assert "This hub already has its owner" in response.text
            assert 'href="/accounts/login/"' in response.text
    users = hub.run("manage", "shell", "--no-imports", "-c",
                    "from django.contrib.auth.models import User; "
                    "print(list(User.objects.values_list('username', 'is_superuser')))")
    assert users.stdout.strip() == f"[('owner{winner}', True)]"
