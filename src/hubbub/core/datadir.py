"""The data directory: the SQLite file, uploaded media and the generated secrets live here."""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from hubbub.core.env import env_list, env_str

SECRETS_FILE = "secrets.json"


def data_dir() -> Path:
    configured = env_str("HUBBUB_DATA_DIR")
    if configured:
        path = Path(configured).expanduser()
    else:
        path = Path(platformdirs.user_data_dir("hubbub"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The database and secrets live here: keep the folder the owner's alone.
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


@dataclass(frozen=True)
class Secrets:
    django_secret_key: str
    fernet_keys: tuple[str, ...]  # newest first: the first one encrypts, all of them decrypt


def _new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def write_secrets(directory: Path, value: Secrets) -> None:
    """Write the secrets file atomically, readable by the owner only."""
    target = directory / SECRETS_FILE
    tmp = directory / f".{SECRETS_FILE}.tmp"
    payload = json.dumps(
        {"django_secret_key": value.django_secret_key, "fernet_keys": list(value.fernet_keys)},
        indent=2,
    )
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    os.chmod(target, 0o600)


def load_or_create_secrets(directory: Path) -> Secrets:
    """Secrets come from the environment when set (many-machines profile), else from the data dir.

    On first run the file is generated; later runs reuse it, so sessions and encrypted tokens
    survive restarts.
    """
    env_key = env_str("HUBBUB_SECRET_KEY")
    env_fernet = env_list("HUBBUB_FERNET_KEYS")
    if env_key and env_fernet:
        return Secrets(env_key, tuple(env_fernet))
    target = directory / SECRETS_FILE
    if target.exists():
        data = json.loads(target.read_text(encoding="utf-8"))
        stored = Secrets(str(data["django_secret_key"]), tuple(data["fernet_keys"]))
    else:
        stored = Secrets(secrets.token_urlsafe(50), (_new_fernet_key(),))
        write_secrets(directory, stored)
    return Secrets(env_key or stored.django_secret_key, tuple(env_fernet) or stored.fernet_keys)


def rotate_fernet_keys(directory: Path) -> Secrets:
    """Put a fresh key first; older keys stay so stored tokens decrypt until re-encrypted."""
    current = load_or_create_secrets(directory)
    rotated = Secrets(current.django_secret_key, (_new_fernet_key(), *current.fernet_keys))
    write_secrets(directory, rotated)
    return rotated
