from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "hubbub.publishing"
    label = "publishing"
