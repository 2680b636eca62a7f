"""`hubbub serve` on an existing data dir: it answers, serves a signed-in person's deck, and
starts its worker (once the socket listens, since issue 13's start-up work)."""

from __future__ import annotations

import re
import socket
import sqlite3
from pathlib import Path

import requests

from tests.integration.hubproc import Hub, wait_serving
from tests.waiting import until

PASSWORD = "a long enough password 1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _beats(data_dir: Path, pid: int) -> int:
    db = sqlite3.connect(f"file:{data_dir / 'hubbub.sqlite3'}?mode=ro", uri=True)
    try:
        (count,) = db.execute("SELECT count(*) FROM jobs_workerbeat WHERE pid = ?",
                              (pid,)).fetchone()
        return int(count)
    finally:
        db.close()


def test_serve_on_an_existing_data_dir_serves_the_deck_and_starts_its_worker(
        tmp_path: Path) -> None:
    hub = Hub(tmp_path / "data", fresh=True)  # a new data dir, migrated by the first command
    hub.run("createuser", "ana", "--password-stdin", stdin=PASSWORD + "\n")  # migrates
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    proc = hub.popen("serve", "--host", "127.0.0.1", "--port", str(port), log=log)
    try:
        wait_serving(f"{url}/accounts/login/", proc, log)
        browser = requests.Session()
        page = browser.get(f"{url}/accounts/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None, (page.status_code, page.url, page.text[:800])
        signed_in = browser.post(f"{url}/accounts/login/", timeout=60, data={
            "csrfmiddlewaretoken": token.group(1), "username": "ana", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text[:500]
        deck = browser.get(f"{url}/deck/", timeout=30)
        assert deck.status_code == 200
        assert "/deck/events/" in deck.text  # the deck page, with its live stream's address
        # The worker runs in the serving process: its beat is written from there.
        until(lambda: _beats(hub.data_dir, proc.pid) > 0, "the worker's first beat")
    finally:
        proc.terminate()
        proc.wait(30)


def _applied(database: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return set(db.execute("SELECT app, name FROM django_migrations").fetchall())
    finally:
        db.close()


def test_a_worker_on_a_new_data_dir_migrates_it_before_it_starts(tmp_path: Path) -> None:
    """`hubbub worker` alone on a new machine (the many-machines profile starts workers on
    their own) brings the new database up to date before it runs a task: every migration a
    `manage migrate` records (tests/integration/hubproc.py's copy) is recorded."""
    from tests.integration.hubproc import migrated_database

    hub = Hub(tmp_path / "data", fresh=True)
    log = tmp_path / "worker.log"
    proc = hub.popen("worker", log=log)
    try:
        until(lambda: "started" in log.read_text() or proc.poll() is not None,
              "the worker to start")
        assert proc.poll() is None, log.read_text()
    finally:
        proc.terminate()
        proc.wait(30)
    assert _applied(hub.data_dir / "hubbub.sqlite3") == _applied(migrated_database())
