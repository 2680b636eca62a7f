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


class DeliveryMessage(models.Model):
    """Celery only (HUBBUB_SEND_IN_WORKER off): when the scheduler last sent a delivery's
    `deliver` message to the broker. A broker cannot be asked cheaply whether it still holds
    that message: while the hub's queue is busy, a message sent less than
    HUBBUB_CELERY_RESEND_SECONDS ago may still wait in it, and one sent longer ago is taken for
    lost and sent again (jobs/task_rows.pending_deliveries). Rows older than that mean nothing
    more and are swept."""

    delivery_id = models.PositiveBigIntegerField(primary_key=True)
    sent_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"message of delivery {self.delivery_id}"
