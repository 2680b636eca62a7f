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


class KeptTask(models.Model):
    """A task the task engine refused (a Celery broker that is down), kept here until it takes
    it: the periodic job `jobs.kept_tasks` enqueues it again (jobs/kept.py). One row for a task
    and its arguments, however often it was refused."""

    key = models.CharField(max_length=64, unique=True)  # digest of the task and its arguments
    task_path = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kept_at = models.DateTimeField()  # the last refusal
    tried_at = models.DateTimeField(null=True, blank=True)  # the last try to enqueue it again

    def __str__(self) -> str:
        return f"kept {self.task_path}{tuple(self.args)}"
