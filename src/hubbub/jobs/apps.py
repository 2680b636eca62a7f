from django.apps import AppConfig
from django.db.models.signals import post_save


class JobsConfig(AppConfig):
    name = "hubbub.jobs"
    label = "jobs"

    def ready(self) -> None:
        from hubbub.jobs import wake
        from hubbub.publishing.models import DeliveryEvent

        # Every change that makes a delivery due writes one of these: wake the workers.
        post_save.connect(wake.on_delivery_event, sender=DeliveryEvent,
                          dispatch_uid="hubbub.jobs.wake")
