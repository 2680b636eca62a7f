from __future__ import annotations

from typing import Any

from django.test import Client


def test_a_body_announced_too_large_is_refused_before_it_is_read(settings: Any, db: None) -> None:
    settings.HUBBUB_MAX_REQUEST_BYTES = 1024
    response = Client().generic("POST", "/accounts/login/", "x" * 10,
                                CONTENT_LENGTH="5000", content_type="text/plain")
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    small = Client().generic("POST", "/accounts/login/", "x", content_type="text/plain")
    assert small.status_code != 413
