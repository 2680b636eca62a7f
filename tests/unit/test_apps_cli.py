"""`hubbub apps`: list, set (secret from a file or stdin), remove, check; no secret in any
output, --json included."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hubbub import cli
from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS, app_credentials, save_app
from hubbub.networks import registry

pytestmark = pytest.mark.django_db

SECRET = "cli-secret-0123456789-abcd"


@pytest.fixture(autouse=True)
def ready_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "migrate", lambda verbosity=0: None)  # the test database is ready
    for spec in OPERATOR_APP_NETWORKS.values():
        for name in spec.env_vars:
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(f"{name}_FILE", raising=False)


def test_list_shows_every_network_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["apps", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [item["network"] for item in data] == list(OPERATOR_APP_NETWORKS)
    x = data[0]
    assert x["ready"] is False
    assert x["reason"] == "The operator has not registered an X app yet."
    assert x["redirect_url"] == "/connections/callback/x/"
    assert "offline.access" in x["scopes"]


def test_set_from_a_file_then_list_without_the_secret(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    assert cli.main(["apps", "set", "linkedin", "--client-id", "li-1",
                     "--client-secret-file", str(secret_file), "--json"]) == 0
    app = app_credentials("linkedin")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("li-1", SECRET)
    assert cli.main(["apps"]) == 0
    assert cli.main(["apps", "--json"]) == 0
    out = capsys.readouterr().out
    assert "li-1" in out
    assert SECRET not in out
    assert "abcd" not in out  # not even its end


def test_set_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert cli.main(["apps", "set", "threads", "--client-id", "123",
                     "--client-secret-file", "-"]) == 0
    app = app_credentials("threads")
    assert app is not None
    assert app.client_secret == SECRET


def test_bad_input_is_a_sentence_and_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["apps", "set", "x", "--client-id", "a",
                     "--client-secret-file", str(tmp_path / "absent"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out) == {
        "error": f"{tmp_path / 'absent'} cannot be read (No such file or directory)."}
    assert cli.main(["apps", "set", "x", "--client-id", "a b"]) == 2
    assert "Client ID holds spaces" in capsys.readouterr().err
    assert cli.main(["apps", "set", "mastodon", "--client-id", "a"]) == 2
    assert "No network app called 'mastodon'" in capsys.readouterr().err
    assert cli.main(["apps", "set", "x", "--client-id", "a"]) == 2  # no secret stored yet
    assert app_credentials("x") is None


def test_remove_and_check(capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    save_app("x", "x-1", SECRET)
    monkeypatch.setattr(registry, "CONNECTORS", {})
    assert cli.main(["apps", "check", "x"]) == 2
    assert "This hub has no X connector yet" in capsys.readouterr().err
    monkeypatch.setattr(registry, "CONNECTORS", {"x": "tests.web.app_fakes.FakeXConnector"})
    registry.get_connector.cache_clear()
    try:
        assert cli.main(["apps", "check", "x", "--json"]) == 0
    finally:
        registry.get_connector.cache_clear()
    out = json.loads(capsys.readouterr().out)
    assert out["checked"] is False
    assert "checked when someone first connects" in out["note"]
    assert cli.main(["apps", "remove", "x", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"network": "x", "removed": True}
    assert app_credentials("x") is None
