from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "hubbub.listening"
    label = "listening"
    default_auto_field = "django.db.models.BigAutoField"
