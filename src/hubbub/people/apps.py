from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "hubbub.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hubbub.jobs import periodic
        from hubbub.people import tasks

        # Cheap (a few indexed queries); the reads and computations run as tasks.
        periodic.register("people.profiles", 30, tasks.enqueue_profiles)
        periodic.register("people.suggestions", 15, tasks.enqueue_suggestions)
