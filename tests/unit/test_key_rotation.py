"""Key rotation re-encrypts every stored secret (connections.keys, apart from core.crypto)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User

from hubbub.connections.keys import reencrypt_all
from hubbub.connections.models import Connection, InstanceApp
from hubbub.core import crypto


@pytest.mark.django_db
def test_every_secret_is_readable_with_the_new_key_alone(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    user = User.objects.create_user("ada")
    connection = Connection(user=user, network="mastodon", base_url="https://m.example",
                            remote_id="1", handle="@ada@m.example")
    connection.credentials = {"access_token": "tok"}
    connection.save()
    InstanceApp.objects.create(network="mastodon", base_url="https://m.example",
                               redirect_uri="https://hub.example/cb", client_id="id",
                               client_secret_enc=crypto.encrypt_text("shh"))
    settings.FERNET_KEYS = [new, old]
    assert reencrypt_all() == 2
    settings.FERNET_KEYS = [new]
    assert Connection.objects.get().credentials == {"access_token": "tok"}
    assert InstanceApp.objects.get().client_secret == "shh"
