from django.apps import AppConfig


class CatchUpConfig(AppConfig):
    name = "hubbub.catchup"
    label = "catchup"
    default_auto_field = "django.db.models.BigAutoField"
