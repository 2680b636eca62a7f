"""After a key rotation: every stored secret encrypted again with the newest key.

Here, not in core/crypto.py, because it walks the connections' tables: core knows how to
encrypt, the domain knows what it stored.
"""

from __future__ import annotations

from hubbub.connections.models import Connection, InstanceApp, NetworkApp
from hubbub.core.crypto import reencrypt


def reencrypt_all() -> int:
    """Re-encrypt every stored secret with the newest key. Returns how many were rewritten."""
    count = 0
    for connection in Connection.objects.exclude(credentials_enc=""):
        Connection.objects.filter(pk=connection.pk).update(
            credentials_enc=reencrypt(connection.credentials_enc))
        count += 1
    for app in InstanceApp.objects.all():
        InstanceApp.objects.filter(pk=app.pk).update(
            client_secret_enc=reencrypt(app.client_secret_enc))
        count += 1
    for network_app in NetworkApp.objects.all():
        NetworkApp.objects.filter(pk=network_app.pk).update(
            client_secret_enc=reencrypt(network_app.client_secret_enc))
        count += 1
    return count
