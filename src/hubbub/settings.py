"""Django settings. Deployment knobs come from the environment (core/env.py, docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from hubbub.core.datadir import data_dir, load_or_create_secrets
from hubbub.core.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()
_SECRETS = load_or_create_secrets(DATA_DIR)

SECRET_KEY = _SECRETS.django_secret_key
FERNET_KEYS = _SECRETS.fernet_keys
DEBUG = env_bool("HUBBUB_DEBUG", False)
ALLOWED_HOSTS = env_list("HUBBUB_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("HUBBUB_CSRF_TRUSTED_ORIGINS")
# The public URL people reach the hub at; OAuth callbacks are built from it when set.
PUBLIC_URL = env_str("HUBBUB_PUBLIC_URL").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "hubbub.accounts",
    "hubbub.connections",
    "hubbub.publishing",
    "hubbub.jobs",
    "hubbub.timeline",
    "hubbub.planning",
    "hubbub.imports",
    "hubbub.listening",
    "hubbub.catchup",
    "hubbub.people",
    "hubbub.inbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Compresses what the middleware below and the views wrote (core/compress.py).
    "hubbub.core.compress.CompressPages",
    # Above WhiteNoise, so static files carry the frame and content policies too. Request bodies
    # are limited before Django reads them, in the ASGI wrapper (asgi.py, core/asgi_limits.py).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "hubbub.urls"
ASGI_APPLICATION = "hubbub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, whose connections are reused by the next thread rather
            # than opened anew for each request (core/sqlite_pool/base.py).
            "ENGINE": "hubbub.core.sqlite_pool",
            "NAME": str(DATA_DIR / "hubbub.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue on busy_timeout instead of failing mid-way.
                # Checkpoints every 10,000 WAL pages (40 MB) rather than SQLite's 1,000: each
                # copies a page rewritten by many commits once and syncs once, which took ingest
                # from 11.6k to 13.6k items/s (docs/benchmarks.md).
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                    " PRAGMA wal_autocheckpoint=10000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "publishing:compose"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind TLS (HUBBUB_HTTPS=1): cookies go over https only and browsers are told to use https
# only (HSTS, sent on https requests). A TLS-terminating proxy says a request came over https with
# X-Forwarded-Proto, believed only from HUBBUB_TRUSTED_PROXIES: the ASGI wrapper
# (core/asgi_limits.py) removes the header from anyone else before Django reads it.
HUBBUB_HTTPS = env_bool("HUBBUB_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("HUBBUB_SECURE_COOKIES", HUBBUB_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("HUBBUB_HSTS_SECONDS", 365 * 86400) if HUBBUB_HTTPS else 0
if env_list("HUBBUB_TRUSTED_PROXIES"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
_PRIVATE_SERVERS = bool(env_list("HUBBUB_ALLOW_PRIVATE_NETWORKS"))
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Remote pictures come through the hub's image proxy (core/image_proxy.py), so the
    # networks' servers never see the reader; blob: is the composer's preview of a picked file.
    "img-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    # A form may lead to another site only through the hub's redirect to a network's sign-in
    # page (OAuth), which is https; plain http only when servers on private networks are
    # allowed (a LAN instance, the test peers), which often have no TLS.
    "form-action": [CSP.SELF, "https:", *(["http:"] if _PRIVATE_SERVERS else [])],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # our own CSS/JS, beside the templates
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request bodies, limited as they stream in (asgi.py): the pages that take files (the composer,
# the CSV import), from someone signed in, take the largest file the hub accepts (a Bluesky
# video is 100 MB, Mastodon's default 99 MiB, the import's zip of images 100 MiB) with room for
# the CSV and the form beside it; every other request takes a form of text. Raise the first for
# an instance that takes longer videos. A body that stops arriving for HUBBUB_BODY_TIMEOUT_SECONDS
# is cut off (408), and a request's head must arrive within HUBBUB_HEADER_TIMEOUT_SECONDS
# (core/uvicorn_protocol.py).
HUBBUB_MAX_UPLOAD_BYTES = env_int("HUBBUB_MAX_UPLOAD_BYTES", 108 * 1024 * 1024)
HUBBUB_MAX_FORM_BYTES = env_int("HUBBUB_MAX_FORM_BYTES", 1024 * 1024)
HUBBUB_BODY_TIMEOUT_SECONDS = env_float("HUBBUB_BODY_TIMEOUT_SECONDS", 30.0)
# ...and after that long, a body must keep this average pace (bytes a second) or get a 408: a
# client sending one byte just inside each pause would otherwise hold a connection for days.
# 1 KB/s is a 108 MB upload in 30 hours; any real uplink is far faster.
HUBBUB_MIN_BODY_RATE = env_float("HUBBUB_MIN_BODY_RATE", 1024.0)
HUBBUB_HEADER_TIMEOUT_SECONDS = env_float("HUBBUB_HEADER_TIMEOUT_SECONDS", 10.0)

# The task engine (jobs/, docs/deploy.md "The task engine"): "db" (django-tasks-db in the hub's
# own database, the default: nothing else to run) or "celery" (django-tasks-celery on the broker
# HUBBUB_CELERY_BROKER, redis:// or amqp://; install the `celery` extra). Any other value is a
# Django task backend's dotted path, taken as it is.
_TASK_ENGINES = {"db": "django_tasks_db.DatabaseBackend",
                 "celery": "django_tasks_celery.CeleryBackend"}
_tasks_backend = env_str("HUBBUB_TASKS_BACKEND", "db")
TASKS_BACKEND = _TASK_ENGINES.get(_tasks_backend, _tasks_backend)
TASKS: dict[str, dict[str, object]] = {"default": {"BACKEND": TASKS_BACKEND}}
HUBBUB_TASKS_ON_CELERY = TASKS_BACKEND.startswith("django_tasks_celery.")
if HUBBUB_TASKS_ON_CELERY:
    TASKS["default"]["OPTIONS"] = {"CELERY_APP": "hubbub.jobs.celery_app.app"}
# Celery (jobs/celery_app.py reads these). A task is acknowledged only once it has run (a
# worker killed mid-task leaves it to the broker to hand out again: RabbitMQ at once, when the
# worker's connection drops; Redis after the visibility timeout), one message at a time per
# worker thread. The hub reads no task results (the truth is on its rows): none are stored.
HUBBUB_CELERY_BROKER = env_str("HUBBUB_CELERY_BROKER", "redis://127.0.0.1:6379/0")
HUBBUB_CELERY_QUEUE = env_str("HUBBUB_CELERY_QUEUE", "hubbub")
HUBBUB_CELERY_VISIBILITY_SECONDS = env_int("HUBBUB_CELERY_VISIBILITY_SECONDS", 600)
# A delivery still waiting whose message went out this long ago gets a new one even while the
# hub's queue is busy (a message the broker lost; HUBBUB_SEND_IN_WORKER off): jobs/task_rows.py.
HUBBUB_CELERY_RESEND_SECONDS = env_int("HUBBUB_CELERY_RESEND_SECONDS", 600)

# Outbound HTTP: private and loopback addresses are refused unless listed here (SSRF guard).
# A self-hosted instance on the LAN, or the test peers on 127.0.0.1, need an explicit allowance.
HUBBUB_ALLOW_PRIVATE_NETWORKS = env_list("HUBBUB_ALLOW_PRIVATE_NETWORKS")
HUBBUB_HTTP_TIMEOUT = env_float("HUBBUB_HTTP_TIMEOUT", 20.0)
# The image proxy (core/image_proxy.py): remote pictures are fetched by the hub, checked and
# kept in DATA_DIR/image-cache, so the sender's server never sees the reader.
HUBBUB_IMAGE_PROXY_MAX_BYTES = env_int("HUBBUB_IMAGE_PROXY_MAX_BYTES", 10 * 1024 * 1024)
HUBBUB_IMAGE_PROXY_SECONDS = env_float("HUBBUB_IMAGE_PROXY_SECONDS", 20.0)  # one whole fetch
HUBBUB_IMAGE_CACHE_BYTES = env_int("HUBBUB_IMAGE_CACHE_BYTES", 500 * 1024 * 1024)
HUBBUB_IMAGE_CACHE_SECONDS = env_int("HUBBUB_IMAGE_CACHE_SECONDS", 7 * 86400)

# Delivery engine
HUBBUB_LEASE_SECONDS = env_int("HUBBUB_LEASE_SECONDS", 120)
HUBBUB_RETRY_BASE_SECONDS = env_float("HUBBUB_RETRY_BASE_SECONDS", 30.0)
HUBBUB_RETRY_MAX_SECONDS = env_float("HUBBUB_RETRY_MAX_SECONDS", 3600.0)
HUBBUB_MAX_ATTEMPTS = env_int("HUBBUB_MAX_ATTEMPTS", 8)
HUBBUB_LATE_AFTER_SECONDS = env_int("HUBBUB_LATE_AFTER_SECONDS", 600)
HUBBUB_SCHEDULER_INTERVAL = env_float("HUBBUB_SCHEDULER_INTERVAL", 1.0)
HUBBUB_REQUEUE_SECONDS = env_int("HUBBUB_REQUEUE_SECONDS", 60)
# The task table (jobs/task_rows.py): finished rows kept this long; a runner whose worker has
# not beaten for HUBBUB_WORKER_DEAD_SECONDS is dead (its RUNNING rows are settled); the sweep
# runs this often on each worker.
HUBBUB_TASK_RETENTION_SECONDS = env_int("HUBBUB_TASK_RETENTION_SECONDS", 86400)
HUBBUB_WORKER_DEAD_SECONDS = env_int("HUBBUB_WORKER_DEAD_SECONDS", 60)
HUBBUB_TASK_SWEEP_SECONDS = env_float("HUBBUB_TASK_SWEEP_SECONDS", 60.0)
# "Post now" (jobs/dispatch.py, jobs/wake.py): due deliveries run on each worker's own threads,
# at most this many at once, per network and per account (off: through the task queue).
HUBBUB_SEND_IN_WORKER = env_bool("HUBBUB_SEND_IN_WORKER", True)
HUBBUB_SEND_THREADS = env_int("HUBBUB_SEND_THREADS", 8)
HUBBUB_SEND_PER_NETWORK = env_int("HUBBUB_SEND_PER_NETWORK", 4)
HUBBUB_SEND_PER_ACCOUNT = env_int("HUBBUB_SEND_PER_ACCOUNT", 1)
# How a commit that makes deliveries due wakes the workers: "auto" (in-process, plus NOTIFY on
# PostgreSQL so workers on other machines hear it), "inprocess", or "postgres".
HUBBUB_WAKE_BACKEND = env_str("HUBBUB_WAKE_BACKEND", "auto")

# Reading the networks for the deck (timeline/polling.py, streaming.py, live.py)
HUBBUB_READ_NETWORKS = env_bool("HUBBUB_READ_NETWORKS", True)  # poll + stream in the worker
HUBBUB_POLL_ACTIVE_SECONDS = env_float("HUBBUB_POLL_ACTIVE_SECONDS", 5.0)  # watched feeds
HUBBUB_POLL_IDLE_SECONDS = env_float("HUBBUB_POLL_IDLE_SECONDS", 600.0)  # nobody looking
HUBBUB_POLL_WATCH_SECONDS = env_float("HUBBUB_POLL_WATCH_SECONDS", 120.0)  # "watched" lasts
HUBBUB_POLL_MAX_BACKOFF_SECONDS = env_float("HUBBUB_POLL_MAX_BACKOFF_SECONDS", 3600.0)
HUBBUB_POLL_THREADS = env_int("HUBBUB_POLL_THREADS", 4)
HUBBUB_STREAM_WATCH_SECONDS = env_float("HUBBUB_STREAM_WATCH_SECONDS", 600.0)
# "inprocess" (one process serves web and worker); "postgres" (LISTEN/NOTIFY: web and worker
# apart, on PostgreSQL); "redis" (pub/sub on HUBBUB_REDIS_URL, channel HUBBUB_REDIS_CHANNEL).
HUBBUB_LIVE_BACKEND = env_str("HUBBUB_LIVE_BACKEND", "inprocess")
HUBBUB_REDIS_URL = env_str("HUBBUB_REDIS_URL", "redis://127.0.0.1:6379/0")
HUBBUB_REDIS_CHANNEL = env_str("HUBBUB_REDIS_CHANNEL", "hubbub_live")

# Login throttling (accounts/throttle.py): free tries per account from one address (and per
# known device), then waits doubling from the first to the longest; failures forgotten after.
HUBBUB_LOGIN_MAX_FAILURES = env_int("HUBBUB_LOGIN_MAX_FAILURES", 5)
HUBBUB_LOGIN_FIRST_WAIT_SECONDS = env_int("HUBBUB_LOGIN_FIRST_WAIT_SECONDS", 60)
HUBBUB_LOGIN_MAX_WAIT_SECONDS = env_int("HUBBUB_LOGIN_MAX_WAIT_SECONDS", 900)
HUBBUB_LOGIN_FORGET_SECONDS = env_int("HUBBUB_LOGIN_FORGET_SECONDS", 86400)
HUBBUB_LOGIN_DEVICE_DAYS = env_int("HUBBUB_LOGIN_DEVICE_DAYS", 365)  # the known-device cookie
# Reverse proxies whose X-Forwarded-For is believed (CIDRs); empty: the header is ignored.
HUBBUB_TRUSTED_PROXIES = env_list("HUBBUB_TRUSTED_PROXIES")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HUBBUB_LOG_LEVEL", "INFO")},
    "loggers": {"django_tasks_db": {"level": "WARNING"}, "django.tasks": {"level": "WARNING"}},
}
