"""Which readers' leases are freed before their expiry (timeline/leases.py): only a process of
this machine's boot and PID namespace that no longer runs. A hostname proves nothing:
containers share one without sharing PIDs, and freeing a live reader's leases there would
stream its connections twice, every renewal round."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection

from hubbub.connections.models import Connection
from hubbub.timeline.leases import Leases, db_now, new_reader_id, this_place
from hubbub.timeline.models import StreamLease, StreamReader
from tests.timeline.conftest import make_connection

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_PLACE = "0123456789abcdef"


@pytest.fixture
def long_period(settings: Any) -> None:
    # Nothing expires during a test: only an early freeing can free a lease.
    settings.HUBBUB_STREAM_LEASE_SECONDS = 3600


@pytest.fixture
def two(alice: User) -> list[Connection]:
    return [make_connection(alice) for _ in range(2)]


def _dead_pid() -> int:
    """A process id that ran here a moment ago and runs no more."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def _held_by(owner: str, connections: list[Connection]) -> None:
    """`owner` holds these connections' leases for an hour and beat just now."""
    StreamReader.objects.create(owner=owner, beat_at=db_now())
    StreamLease.objects.bulk_create([
        StreamLease(connection=c, owner=owner, expires_at=db_now() + timedelta(hours=1))
        for c in connections])


def _owners() -> set[str]:
    return set(StreamLease.objects.values_list("owner", flat=True))


def test_a_reader_id_says_where_its_process_runs() -> None:
    place = this_place()
    assert place is not None  # /proc is there on the test machines
    assert len(place) == 16
    owner = new_reader_id()
    host, pid, token, where = owner.rsplit(":", 3)
    assert (host, pid, where) == (socket.gethostname()[:40], str(os.getpid()), place)
    assert len(token) == 8
    assert len(owner) <= StreamLease._meta.get_field("owner").max_length  # type: ignore[operator]


def test_a_long_hostname_still_fits_the_owner_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "h" * 253)
    owner = new_reader_id()
    assert len(owner) <= StreamLease._meta.get_field("owner").max_length  # type: ignore[operator]
    assert owner.endswith(f":{this_place()}")


def test_same_hostname_but_another_place_and_a_pid_not_running_here_is_not_freed(
        two: list[Connection], long_period: None) -> None:
    owner = f"{socket.gethostname()[:40]}:{_dead_pid()}:abcd1234:{OTHER_PLACE}"
    _held_by(owner, two)
    reader = Leases("reader-a")
    assert reader.renew() == set()
    assert reader.take([c.pk for c in two], 2) == set()
    assert _owners() == {owner}
    assert StreamReader.objects.filter(owner=owner).exists()
    assert reader.readers == 2  # it still counts as alive


def test_our_place_and_a_dead_pid_is_freed_at_the_next_renewal(
        two: list[Connection], long_period: None) -> None:
    owner = new_reader_id().replace(f":{os.getpid()}:", f":{_dead_pid()}:")
    _held_by(owner, two)
    reader = Leases("reader-a")
    reader.renew()
    assert _owners() == {""}
    assert not StreamReader.objects.filter(owner=owner).exists()
    assert reader.take([c.pk for c in two], 2) == {c.pk for c in two}


def test_an_owner_in_the_old_format_waits_for_its_expiry(
        two: list[Connection], long_period: None) -> None:
    owner = f"{socket.gethostname()[:40]}:{_dead_pid()}:abcd1234"  # host:pid:token, no place
    _held_by(owner, two)
    reader = Leases("reader-a")
    reader.renew()
    assert reader.take([c.pk for c in two], 2) == set()
    assert _owners() == {owner}


def test_a_live_process_of_our_place_is_not_freed(
        two: list[Connection], long_period: None) -> None:
    other = Leases()  # another reader of this very process: its PID runs
    assert other.owner.endswith(f":{this_place()}")
    other.renew()
    assert other.take([c.pk for c in two], 2) == {c.pk for c in two}
    reader = Leases("reader-a")
    reader.renew()
    assert reader.take([c.pk for c in two], 2) == set()
    assert _owners() == {other.owner}


def test_a_reader_that_cannot_tell_its_place_frees_nothing_early(
        two: list[Connection], long_period: None) -> None:
    owner = new_reader_id().replace(f":{os.getpid()}:", f":{_dead_pid()}:")
    _held_by(owner, two)
    reader = Leases("reader-a", place="")  # as where /proc cannot be read
    assert reader.place is None
    reader.renew()
    assert reader.take([c.pk for c in two], 2) == set()
    assert _owners() == {owner}
    # And its own id says no place, so no reader frees its leases early either.
    assert new_reader_id("").count(":") == 2


def test_the_place_is_unknown_without_a_boot_id_or_with_another_namespaces_proc(
        tmp_path: Path) -> None:
    assert this_place(boot_id=tmp_path / "absent") is None
    empty = tmp_path / "boot_id"
    empty.write_text("\n")
    assert this_place(boot_id=empty) is None
    # A /proc mounted from another PID namespace: its "self" is not our process id.
    elsewhere = tmp_path / "self"
    elsewhere.symlink_to(str(os.getpid() + 1))
    assert this_place(proc_self=elsewhere) is None
    assert this_place(pid_namespace=tmp_path / "absent") is None


# --- real processes: one in a PID namespace of its own, one beside us ----------------------

CHILD = """\
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = sys.argv[1]  # the test's database
import django
django.setup()
from hubbub.timeline.leases import Leases
leases = Leases()
leases.renew()
taken = leases.take([int(cid) for cid in sys.argv[2].split(",")], 100)
print(leases.owner, ",".join(str(cid) for cid in sorted(taken)), flush=True)
sys.stdin.read()  # holds them (renewing is not needed: the period is an hour) until told
"""


class Child:
    """A reader in another process that takes these connections' leases and holds them."""

    def __init__(self, connections: list[Connection], prefix: list[str]) -> None:
        ids = ",".join(str(c.pk) for c in connections)
        name = str(db_connection.settings_dict["NAME"])
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-c", CHILD, name, ids], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()  # blocks until the child took them
        assert len(line) == 2, f"the child reader said {line!r}"
        self.owner, taken = line
        assert taken == ids

    def end(self, *, kill: bool = False) -> None:
        """Stop it: by closing its input (it exits, its namespace with it), or by SIGKILL."""
        if kill:
            self.proc.kill()
        elif self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        child.end()


def _free_pid_here() -> int:
    """A process id no process of ours has now (for a process of another namespace to get)."""
    for pid in range(30000, 20000, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    raise AssertionError("no free process id between 20,000 and 30,000")


def test_a_live_reader_in_another_pid_namespace_with_our_hostname_keeps_its_leases(
        two: list[Connection], long_period: None, children: list[Child]) -> None:
    pid = _free_pid_here()
    # A new PID namespace (same hostname, same machine), as a second container without
    # --pid=host is; its reader gets a process id that no process has here.
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
              f'echo {pid - 1} > /proc/sys/kernel/ns_last_pid && "$0" "$@"; exit $?']
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a PID namespace here: {probe.stderr.strip()}")
    child = Child(two, prefix)
    children.append(child)
    host, child_pid, _, child_place = child.owner.rsplit(":", 3)
    assert host == socket.gethostname()[:40]
    assert child_place != this_place()
    with pytest.raises(ProcessLookupError):  # its process id names no process here
        os.kill(int(child_pid), 0)
    reader = Leases("reader-a")
    reader.renew()
    assert reader.take([c.pk for c in two], 2) == set()
    assert _owners() == {child.owner}
    assert reader.readers == 2


def test_a_reader_beside_us_that_is_killed_frees_its_leases_at_the_next_renewal(
        two: list[Connection], long_period: None, children: list[Child]) -> None:
    child = Child(two, [])
    children.append(child)
    reader = Leases("reader-a")
    reader.renew()
    assert _owners() == {child.owner}  # alive: kept
    child.end(kill=True)  # no clean release: its leases stay, live for an hour
    assert _owners() == {child.owner}
    reader.renew()
    assert _owners() == {""}
    assert reader.take([c.pk for c in two], 2) == {c.pk for c in two}
