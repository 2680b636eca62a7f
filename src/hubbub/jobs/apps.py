from django.apps import AppConfig
from django.db.models.signals import post_save


class JobsConfig(AppConfig):
    name = "hubbub.jobs"
    label = "jobs"

    def ready(self) -> None:
        from django.conf import settings

        from hubbub.jobs import kept, periodic, task_rows, wake
        from hubbub.publishing.models import DeliveryEvent

        # The task table stays bounded: finished rows, dead runners' rows, idle wake-ups.
        periodic.register("jobs.task_rows", float(settings.HUBBUB_TASK_SWEEP_SECONDS),
                          task_rows.sweep)
        # Tasks the engine refused (a Celery broker that was down), enqueued again.
        periodic.register("jobs.kept_tasks", kept.RETRY_SECONDS, kept.retry)

        # Every change that makes a delivery due writes one of these: wake the workers.
        post_save.connect(wake.on_delivery_event, sender=DeliveryEvent,
                          dispatch_uid="hubbub.jobs.wake")
