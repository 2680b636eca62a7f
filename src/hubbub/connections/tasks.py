"""Background tasks (django.tasks) of connections: reading an account's limits again once
they are stale (services.capabilities_for gives the cached ones meanwhile)."""

from __future__ import annotations

from django.tasks import task

from hubbub.connections.models import Connection


@task()
def read_capabilities(connection_id: int) -> None:
    from hubbub.connections.services import capabilities_for

    connection = Connection.objects.filter(pk=connection_id,
                                           disconnected_at__isnull=True).first()
    if connection is not None:
        capabilities_for(connection, refresh=True)
