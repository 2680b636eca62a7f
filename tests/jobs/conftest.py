"""The hub's tasks on Celery in this process, pointed at a broker the test chooses (its own
redis-server, or a closed port: a broker that is down)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hubbub.jobs import celery_app, periodic, scheduler
from tests.engine.conftest import connection, owner, scripted  # noqa: F401 (fixtures)
from tests.jobs.brokers import OwnRedis

QUEUE = "hubbub-broker-down"


@pytest.fixture
def on_celery(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """`on_celery(url)`: from now on the hub enqueues its tasks on the Celery broker at `url`
    (queue QUEUE), as HUBBUB_TASKS_BACKEND=celery does."""
    apps = []

    def use(broker: str) -> None:
        settings.HUBBUB_CELERY_BROKER = broker
        settings.HUBBUB_CELERY_QUEUE = QUEUE
        settings.HUBBUB_TASKS_ON_CELERY = True
        settings.TASKS = {"default": {"BACKEND": "django_tasks_celery.CeleryBackend",
                                      "OPTIONS": {"CELERY_APP": "hubbub.jobs.celery_app.app"}}}
        app = celery_app.make_app()  # reads the broker from the settings, as at start-up
        apps.append(app)
        monkeypatch.setattr(celery_app, "app", app)

    yield use
    for app in apps:
        app.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def fresh_troubles() -> None:
    """Each test starts with no failure said yet (the process keeps them between ticks)."""
    for trouble in (scheduler._SWEEP, scheduler._RELEASE, scheduler._ENQUEUE, scheduler._DISPATCH,
                    *(job.trouble for job in periodic._jobs.values())):
        trouble.failed_turns = 0
