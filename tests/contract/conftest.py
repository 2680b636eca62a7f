"""The contract suite runs once per network listed in tests/contract/peers.py FACTORIES."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract.peers import FACTORIES


@pytest.fixture(params=sorted(FACTORIES))
def peer(request: pytest.FixtureRequest) -> Iterator[Any]:
    contract_peer = FACTORIES[request.param](request)
    try:
        yield contract_peer
    finally:
        contract_peer.close()
