from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "hubbub.imports"
    label = "imports"

    def ready(self) -> None:
        from hubbub.imports import csv_import, tasks
        from hubbub.jobs import periodic

        # Cheap (one indexed query); the reads themselves run as tasks.
        periodic.register("imports.feeds", 10, tasks.enqueue_due)
        periodic.register("imports.prune", 3600, csv_import.prune_abandoned)
