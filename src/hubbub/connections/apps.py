from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "hubbub.connections"
    label = "connections"
