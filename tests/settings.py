"""Settings for the test run: a throwaway data dir, loopback peers allowed, quick retries."""

import os
import tempfile

os.environ.setdefault("HUBBUB_DATA_DIR", tempfile.mkdtemp(prefix="hubbub-test-"))
# Under pytest-xdist each worker inherits the controller's data dir: it gets a folder of its own
# in it (its keys, media and hubs' files), as if it ran alone. The test databases are already
# the worker's own (pytest-django adds the worker's name to them).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER and not os.environ.get("HUBBUB_TEST_WORKER_DIR"):
    os.environ["HUBBUB_TEST_WORKER_DIR"] = _WORKER
    os.environ["HUBBUB_DATA_DIR"] = os.path.join(os.environ["HUBBUB_DATA_DIR"], _WORKER)
    os.makedirs(os.environ["HUBBUB_DATA_DIR"], exist_ok=True)
os.environ.setdefault("HUBBUB_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8,::1/128")

from hubbub.settings import *  # noqa: E402, F403 - after the environment it reads

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                    "django.contrib.auth.hashers.Argon2PasswordHasher"]
HUBBUB_RETRY_BASE_SECONDS = 0.2
HUBBUB_RETRY_MAX_SECONDS = 5.0
HUBBUB_HTTP_TIMEOUT = 5.0

# SQLite: the test database is a file in the throwaway data dir, with the same WAL and busy
# timeout as the hub's, not Django's default shared-cache in-memory database. In memory, a
# thread reading a table another thread is writing (a stream's writer beside a test waiting
# for its items) fails at once with "database table is locked" instead of waiting its turn as
# it does in the hub.
if DATABASES["default"]["ENGINE"] == "hubbub.core.sqlite_pool":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["HUBBUB_DATA_DIR"], "test-hubbub.sqlite3")}
