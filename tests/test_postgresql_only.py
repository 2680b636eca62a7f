"""The tests marked `postgresql` are races between statements that only PostgreSQL can have
(SQLite's one writer makes them impossible), so they skip in the default run, whose in-process
database is SQLite. Here they run on PostgreSQL, in a pytest of their own with `DATABASE_URL`
set, so every run (and CI) runs them: none may skip, fail or be missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.peers.bluesky import postgres_reachable

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^\s*@pytest\.mark\.postgresql\b", re.M)


def _marked_files() -> dict[Path, int]:
    """Each test file with `@pytest.mark.postgresql(...)` tests, and how many it marks."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        count = len(MARK.findall(path.read_text()))
        if count and path != Path(__file__).resolve():
            found[path] = count
    return found


def test_the_postgresql_only_tests_pass_on_postgresql(tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    url = "postgresql://root@127.0.0.1:5432/postgres"
    if not postgres_reachable(url):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL does not answer on 127.0.0.1:5432")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    files = _marked_files()
    assert len(files) >= 3, files  # the gathering works
    # Every marked test this run collected (all of them, in a whole run) is in those files: a
    # mark written another way (pytestmark, a class's method) would otherwise only ever skip.
    collected = {Path(item.path).resolve() for item in request.session.items
                 if item.get_closest_marker("postgresql") is not None}
    assert collected <= {p.resolve() for p in files}, collected - set(files)
    # The worker's own settings (its data dir, its name) are not the child's.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "HUBBUB_TEST_", "DJANGO_")) and k != "HUBBUB_DATA_DIR"}
    name = f"hubbub_pg_only_{uuid.uuid4().hex[:8]}"  # pytest-django makes and drops test_<name>
    env.update({"DATABASE_URL": f"postgresql://root@127.0.0.1:5432/{name}",
                "HUBBUB_DATA_DIR": str(tmp_path / "data")})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", "-q", "-rs",
         "-m", "postgresql", *(str(p.relative_to(ROOT)) for p in files)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    summary = output.strip().splitlines()[-1]
    assert not re.search(r"skipped|failed|error", summary), output[-6000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed is not None, output[-6000:]
    # At least one test for each mark (a parametrized test runs once a case).
    assert int(passed.group(1)) >= sum(files.values()), output[-6000:]
