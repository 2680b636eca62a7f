from django.apps import AppConfig

MATERIALIZE_EVERY = 60.0  # seconds; posts are made a week ahead, so a minute is plenty


class PlanningConfig(AppConfig):
    name = "hubbub.planning"
    label = "planning"

    def ready(self) -> None:
        from hubbub.jobs import periodic
        from hubbub.planning import recurring

        periodic.register("planning.recurring", MATERIALIZE_EVERY, recurring.materialize)
