"""Encryption of network credentials at rest.

Keys live outside the database (data dir secrets file or HUBBUB_FERNET_KEYS). MultiFernet encrypts
with the first key and decrypts with any, so keys rotate without downtime (`hubbub rotate-keys`).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """Stored ciphertext could not be read with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FERNET_KEYS))


def encrypt_text(plain: str) -> str:
    return fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError(
            "Stored credentials cannot be decrypted with the configured keys"
        ) from None


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt_text(json.dumps(value, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: str) -> dict[str, Any]:
    data = json.loads(decrypt_text(token))
    if not isinstance(data, dict):
        raise DecryptionError("Stored credentials are not an object")
    return data


def reencrypt(token: str) -> str:
    """Re-encrypt with the newest key (used after rotation)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")
