"""Run the hub's own command line in a separate process against its own data dir and database,
the way a person (or a supervisor) runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.clock import CLOCK_ENV

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Hub:
    data_dir: Path
    database_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    # Seconds to move the hub's clock by (tests/clock.py): every command of this hub runs with it.
    clock_offset: float | None = None
    # False: a new SQLite data dir starts from a copy of a database this test process migrated
    # once (`migrated_database`), not migrated again by each hub's first command (~5 s of CPU
    # each, a few hundred hubs a run). True: the hub migrates its new database itself, as on a
    # new machine (tests of the first start keep that path covered).
    fresh: bool = False

    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("HUBBUB_", "DJANGO_")) and k != "DATABASE_URL"
        }
        env.update({
            "HUBBUB_DATA_DIR": str(self.data_dir),
            "HUBBUB_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8,::1/128",
            "DJANGO_SETTINGS_MODULE": "hubbub.settings",
            "HUBBUB_LOG_LEVEL": "WARNING",
        })
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        if self.clock_offset is not None:
            env[CLOCK_ENV] = repr(self.clock_offset)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return env

    def argv(self, *args: str) -> list[str]:
        """The command line under the tests' loopback guard (and clock): tests/hubmain.py."""
        return [sys.executable, "-m", "tests.hubmain", *args]

    def _start_database(self) -> None:
        """A new SQLite data dir gets the migrated copy (unless `fresh`)."""
        database = self.data_dir / DATABASE_FILE
        if self.fresh or self.database_url or database.exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        copy_database(migrated_database(), database)

    def run(self, *args: str, stdin: str | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        self._start_database()
        result = subprocess.run(
            self.argv(*args), input=stdin, capture_output=True, text=True, env=self.env(),
            timeout=timeout, check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"hubbub {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n"
                f"{result.stderr}")
        return result

    def json(self, *args: str, stdin: str | None = None) -> Any:
        return json.loads(self.run(*args, "--json", stdin=stdin).stdout)

    def popen(self, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
        self._start_database()
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        return subprocess.Popen(self.argv(*args), env=self.env(), stdout=out, stderr=out)


DATABASE_FILE = "hubbub.sqlite3"
_migrated: list[Path] = []


def migrated_database() -> Path:
    """A SQLite database migrated by `hubbub manage migrate` in a data dir of its own, once per
    test process (each pytest-xdist worker makes its own, so none waits on another)."""
    if not _migrated:
        import atexit
        import shutil
        import tempfile

        where = Path(tempfile.mkdtemp(prefix="hubbub-migrated-")) / "data"
        atexit.register(shutil.rmtree, where.parent, ignore_errors=True)
        Hub(where, fresh=True).run("manage", "migrate", "--no-input")
        _migrated.append(where / DATABASE_FILE)
    return _migrated[0]


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup (whatever the source's write-ahead log holds)."""
    import sqlite3

    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def wait_serving(url: str, proc: subprocess.Popen[bytes], log: Path,
                 timeout: float = 180.0) -> None:
    """Wait until a started `hubbub serve` answers `url` (start-up migrates the database first,
    and a loaded machine is slow to answer the first request: refused or timed out both mean
    "not yet"). Fails with the server's log when it exits or never answers."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"hubbub serve did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
