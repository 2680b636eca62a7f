"""Install a test peer into its own venv under <repo>/.peers/, never into the project's venv.

Safe to call from several test processes at once (pytest-xdist): a file lock serializes the
install, and a marker holding the hash of the pinned requirements skips it when up to date.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# $HUBBUB_PEERS_HOME lets CI keep installed peers outside its fresh clone.
PEERS_DIR = Path(os.environ.get("HUBBUB_PEERS_HOME") or REPO_ROOT / ".peers").resolve()
REQUIREMENTS_DIR = Path(__file__).resolve().parent / "requirements"
PYTHON = "3.13"


class PeerInstallError(RuntimeError):
    pass


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], what: str) -> None:
    # cwd=REPO_ROOT: pyenv resolves `3.13` through the repo's .python-version.
    done = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PeerInstallError(f"{what} failed ({' '.join(args)}):\n{done.stdout}\n{done.stderr}")


def ensure_venv(name: str, requirements: Path) -> Path:
    """Create .peers/<name>/ with the pinned requirements installed; return the venv path."""
    venv = PEERS_DIR / name
    marker = venv / ".hubbub-installed"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    with _locked(PEERS_DIR / f"{name}.lock"):
        if marker.is_file() and marker.read_text().strip() == wanted:
            return venv
        uv = shutil.which("uv")
        if uv is None:
            raise PeerInstallError("uv is not on PATH: run the tests with `uv run pytest`")
        if venv.exists():
            shutil.rmtree(venv)
        try:
            _run([uv, "venv", "-q", "-p", PYTHON, str(venv)], f"creating the {name} venv")
        except PeerInstallError:
            # No `3.13` on the search path: fall back to the interpreter running the tests.
            base = getattr(sys, "_base_executable", sys.executable)
            _run([uv, "venv", "-q", "-p", base, str(venv)], f"creating the {name} venv")
        python = venv / "bin" / "python"
        _run(
            [uv, "pip", "install", "-q", "--python", str(python), "-r", str(requirements)],
            f"installing {name}",
        )
        marker.write_text(wanted + "\n")
    return venv


def ensure_mastodon_mock() -> Path:
    """The `mastodon_mock` executable (mastodon-mock 0.6.1 in .peers/mastodon-mock/)."""
    venv = ensure_venv("mastodon-mock", REQUIREMENTS_DIR / "mastodon-mock.txt")
    return venv / "bin" / "mastodon_mock"


if __name__ == "__main__":
    print(ensure_mastodon_mock())
