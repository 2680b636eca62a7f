from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A worker's last sign of life, shown on the status page."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id}"
