"""Settings for the test run: a throwaway data dir, loopback peers allowed, quick retries."""

import os
import tempfile

os.environ.setdefault("HUBBUB_DATA_DIR", tempfile.mkdtemp(prefix="hubbub-test-"))
os.environ.setdefault("HUBBUB_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8,::1/128")

from hubbub.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                    "django.contrib.auth.hashers.Argon2PasswordHasher"]
HUBBUB_RETRY_BASE_SECONDS = 0.2
HUBBUB_RETRY_MAX_SECONDS = 5.0
HUBBUB_HTTP_TIMEOUT = 5.0
