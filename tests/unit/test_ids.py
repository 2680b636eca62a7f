"""Ids read from a request: only what the database can hold is an id."""

from __future__ import annotations

import pytest

from hubbub.core.ids import MAX_ID, parse_id, parse_ids


@pytest.mark.parametrize("value", ["1", "42", str(MAX_ID), 7, MAX_ID])
def test_an_id(value: object) -> None:
    assert parse_id(value) == int(value)  # type: ignore[call-overload]


@pytest.mark.parametrize("value", [
    "", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", str(MAX_ID + 1), "9" * 30, "٣", "²", "\x00",
    "\ud800", None, True, 0, -5, MAX_ID + 1, 1.0, ["1"],
])
def test_not_an_id(value: object) -> None:
    assert parse_id(value) is None


def test_ids_keep_order_and_drop_the_rest() -> None:
    assert parse_ids(["3", "9" * 30, "1", "3", "x", "²", "2"]) == [3, 1, 2]
