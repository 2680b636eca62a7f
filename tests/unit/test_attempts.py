"""networks/attempts.py: when a publish was first tried, and the fallback without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hubbub.networks.attempts import attempt, attempted


def test_attempted_reads_back_what_attempt_stored() -> None:
    before = datetime.now(UTC)
    stamp = attempted(attempt(), timedelta(hours=1))
    assert before <= stamp <= datetime.now(UTC)


@pytest.mark.parametrize("prepared", [None, {}, {"attempted_at": "not a time"},
                                      {"attempted_at": 5}])
def test_attempted_falls_back_before_now(prepared: dict[str, object] | None) -> None:
    low = datetime.now(UTC) - timedelta(minutes=2)
    stamp = attempted(prepared, timedelta(minutes=2))
    assert low <= stamp <= datetime.now(UTC) - timedelta(minutes=2)
