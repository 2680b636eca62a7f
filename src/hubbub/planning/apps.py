from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "hubbub.planning"
    label = "planning"
