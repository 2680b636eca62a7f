"""Pages name networks from the registry's table, without importing the connectors (the deck
names the network of every item, and a connector brings its network's client library)."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

import pytest

from hubbub.networks import registry


def test_the_table_names_each_connector_as_the_connector_names_itself() -> None:
    assert set(registry.NAMES) == set(registry.CONNECTORS.values())
    for dotted, name in registry.NAMES.items():
        module_name, _, class_name = dotted.rpartition(".")
        assert getattr(import_module(module_name), class_name).name == name, dotted


def test_naming_networks_imports_no_connector() -> None:
    code = (
        "import sys\n"
        "from hubbub.networks.registry import CONNECTORS, network_choices, network_name\n"
        "names = [network_name(slug) for slug in CONNECTORS]\n"
        "assert [name for _slug, name in network_choices()] == names\n"
        "print(sorted(m for m in sys.modules if m.endswith('.connector')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_a_connector_put_in_a_slugs_place_is_asked_its_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.CONNECTORS, "mastodon", "tests.web.fakes.FakeConnector")
    registry.get_connector.cache_clear()
    try:
        from tests.web.fakes import FakeConnector

        assert registry.network_name("mastodon") == FakeConnector.name
    finally:
        registry.get_connector.cache_clear()
