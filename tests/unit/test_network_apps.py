"""Where an operator's app comes from (the environment, NAME_FILE, the settings page's row),
what wins, and how the stored secret is kept (encrypted at rest, re-encrypted on rotation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from hubbub.connections.keys import reencrypt_all
from hubbub.connections.models import NetworkApp
from hubbub.connections.network_apps import (
    OPERATOR_APP_NETWORKS,
    app_credentials,
    app_status,
    remove_app,
    save_app,
    value_problem,
)

pytestmark = pytest.mark.django_db

SECRET = "db-secret-0123456789abcdef"
ENV_VARS = [name for spec in OPERATOR_APP_NETWORKS.values() for name in spec.env_vars]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def _raw_secret_column(network: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret_enc FROM connections_networkapp WHERE network = %s",
                       [network])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def test_nothing_registered_says_so_for_each_network() -> None:
    assert app_credentials("x") is None
    assert app_status("x").reason == "The operator has not registered an X app yet."
    assert app_status("linkedin").reason == "The operator has not registered a LinkedIn app yet."
    assert app_status("instagram").reason == (
        "The operator has not registered an Instagram app yet.")
    assert {app_status(n).source for n in OPERATOR_APP_NETWORKS} == {"none"}


def test_a_saved_app_is_ready_and_its_secret_encrypted_at_rest() -> None:
    save_app("linkedin", "  client-1  ", f" {SECRET}\n")
    app = app_credentials("linkedin")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("client-1", SECRET)
    assert SECRET not in repr(app)
    raw = _raw_secret_column("linkedin")
    assert SECRET not in raw
    assert "db-secret" not in raw
    assert raw.startswith("gAAAA")  # a Fernet token, not the text in another dress
    status = app_status("linkedin")
    assert (status.ready, status.source, status.client_id, status.secret_hint) == (
        True, "settings", "client-1", "cdef")


def test_the_environment_wins_over_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    save_app("x", "from-db", SECRET)
    monkeypatch.setenv("HUBBUB_X_CLIENT_ID", "from-env")
    monkeypatch.setenv("HUBBUB_X_CLIENT_SECRET", "env-secret")
    app = app_credentials("x")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("from-env", "env-secret")
    status = app_status("x")
    assert (status.source, status.ready) == ("environment", True)
    assert status.secret_hint == ""  # too short to show any of it


def test_name_file_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("file-secret-value\n", encoding="utf-8")
    monkeypatch.setenv("HUBBUB_FACEBOOK_APP_ID", "1234")
    monkeypatch.setenv("HUBBUB_FACEBOOK_APP_SECRET_FILE", str(secret_file))
    app = app_credentials("facebook")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("1234", "file-secret-value")


def test_a_missing_file_is_a_reason_not_a_crash(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    save_app("threads", "db-id", SECRET)  # the broken environment still wins: no silent fallback
    monkeypatch.setenv("HUBBUB_THREADS_APP_ID", "1234")
    monkeypatch.setenv("HUBBUB_THREADS_APP_SECRET_FILE", str(tmp_path / "absent"))
    assert app_credentials("threads") is None
    status = app_status("threads")
    assert (status.ready, status.source) == (False, "environment")
    assert status.reason == ("The Threads app set by the environment is incomplete: "
                             "HUBBUB_THREADS_APP_SECRET_FILE cannot be read "
                             "(No such file or directory).")


def test_half_an_app_in_the_environment_names_what_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBBUB_INSTAGRAM_APP_SECRET", SECRET)
    assert app_credentials("instagram") is None
    assert app_status("instagram").reason.endswith(
        "HUBBUB_INSTAGRAM_APP_ID is not set, but HUBBUB_INSTAGRAM_APP_SECRET is.")
    assert SECRET not in app_status("instagram").reason


def test_a_pasted_line_break_in_the_environment_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBBUB_X_CLIENT_ID", "abc def")
    monkeypatch.setenv("HUBBUB_X_CLIENT_SECRET", SECRET)
    assert app_credentials("x") is None
    assert "HUBBUB_X_CLIENT_ID holds spaces, invisible or non-ASCII characters" in (
        app_status("x").reason)


def test_a_secret_from_a_key_no_longer_held_asks_to_enter_it_again(settings: Any) -> None:
    save_app("x", "id", SECRET)
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    assert app_credentials("x") is None
    assert app_status("x").reason == (
        "The stored X client secret cannot be decrypted with the hub's keys; enter it again.")


def test_saving_without_a_secret_keeps_the_stored_one() -> None:
    save_app("x", "id-1", SECRET)
    save_app("x", "id-2", None)
    app = app_credentials("x")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("id-2", SECRET)
    assert NetworkApp.objects.count() == 1


def test_a_first_save_needs_a_secret_and_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="Client Secret is empty"):
        save_app("x", "id", None)
    with pytest.raises(ValueError, match="App Secret holds spaces"):
        save_app("facebook", "1234", "two words")
    with pytest.raises(ValueError, match="longer than 300"):
        save_app("facebook", "1" * 301, SECRET)
    assert not NetworkApp.objects.exists()


def test_remove_forgets_only_the_saved_app() -> None:
    save_app("x", "id", SECRET)
    assert remove_app("x") is True
    assert remove_app("x") is False
    assert app_credentials("x") is None


def test_rotation_reencrypts_the_stored_secret(settings: Any) -> None:
    save_app("x", "id", SECRET)
    before = _raw_secret_column("x")
    new_key = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [new_key, *settings.FERNET_KEYS]
    assert reencrypt_all() == 1
    settings.FERNET_KEYS = [new_key]  # the old key is gone: the secret must still read
    after = _raw_secret_column("x")
    assert after != before
    app = app_credentials("x")
    assert app is not None
    assert app.client_secret == SECRET


@pytest.mark.parametrize(("value", "problem"), [
    ("", "ID is empty."),
    ("ok-value_1.2", ""),
    ("tab\there", "ID holds spaces, invisible or non-ASCII characters; paste only the id."),
    ("zero\u200bwidth", "ID holds spaces, invisible or non-ASCII characters; paste only the id."),
    ("r\ufffdplaced", "ID holds spaces, invisible or non-ASCII characters; paste only the id."),
])
def test_value_problem(value: str, problem: str) -> None:
    assert value_problem("ID", value, 20) == problem
