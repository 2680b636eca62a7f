from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "hubbub.imports"
    label = "imports"
