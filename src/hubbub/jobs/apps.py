from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "hubbub.jobs"
    label = "jobs"
