from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "hubbub.publishing"
    label = "publishing"

    def ready(self) -> None:
        from hubbub.jobs import periodic
        from hubbub.publishing import media_sweep

        # Fitted pictures nothing will send again (one query, then the files' names).
        periodic.register("publishing.fitted_sweep", media_sweep.SWEEP_EVERY, media_sweep.sweep)
