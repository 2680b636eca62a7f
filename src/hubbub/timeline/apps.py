from typing import Any

from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "hubbub.timeline"
    label = "timeline"

    def ready(self) -> None:
        from hubbub.connections.signals import account_connected

        account_connected.connect(_add_columns, dispatch_uid="hubbub.timeline.new_account")


def _add_columns(sender: Any, connection: Any, **kwargs: Any) -> None:
    from hubbub.timeline.services import columns_for_new_account

    columns_for_new_account(connection)
