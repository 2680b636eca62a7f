"""`hubbub serve` on a port another program holds: it says so and starts nothing."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.integration.hubproc import Hub


def test_serve_on_a_port_in_use_says_it_is_taken_and_starts_nothing(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "data", fresh=True)  # no database until the hub makes one
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = hub.run("serve", "--host", "127.0.0.1", "--port", str(port), check=False,
                         timeout=60)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert "running at" not in result.stdout
    assert f"port {port}" in result.stderr
    assert "already in use" in result.stderr
    # Checked before anything starts: no database made, no worker run.
    assert not (hub.data_dir / "hubbub.sqlite3").exists()
