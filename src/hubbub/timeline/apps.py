from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "hubbub.timeline"
    label = "timeline"
