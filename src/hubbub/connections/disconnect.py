"""Disconnecting an account: revoke it on the network, cancel what still waits to go there, and
forget its credentials.

Apart from services.py because it reaches into publishing, which itself asks services.py for
an account's limits: here the two meet without importing each other in a circle.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import account_for
from hubbub.networks.errors import ConnectorError
from hubbub.networks.registry import get_connector
from hubbub.publishing.services import cancel_deliveries_for_connection

log = logging.getLogger(__name__)


def disconnect(connection: Connection) -> None:
    """Revoke on the network (best effort) and forget the credentials.

    Deliveries still waiting for this account are cancelled; the row stays, hidden, so posts
    already sent keep their history."""
    connector = get_connector(connection.network)
    try:
        connector.disconnect(account_for(connection))
    except ConnectorError as exc:
        log.warning("revoking %s on the network failed: %s", connection, exc)
    cancel_deliveries_for_connection(connection)
    connection.credentials = {}
    connection.disconnected_at = timezone.now()
    connection.health = Health.NEEDS_RECONNECT
    connection.health_detail = "Disconnected"
    connection.save()
