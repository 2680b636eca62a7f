"""Ids that come from a request. A primary key is a 64-bit signed integer on SQLite and
PostgreSQL alike; a longer number ("targets=99999999999999999999999") is no id of ours, and
handing it to the database makes the driver raise instead of finding nothing. Every id a request
carries is read here first: anything but 1 to 19 ASCII digits within range is simply not an id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id `value` spells, or None when it spells none (empty, signed, non-ASCII digits,
    out of range, not a string or int)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str) or not 0 < len(value) <= 19:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids among `values`, in order, without repeats; what is not an id is dropped."""
    seen: dict[int, None] = {}
    for value in values:
        number = parse_id(value)
        if number is not None:
            seen.setdefault(number, None)
    return list(seen)


class IdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A ModelChoiceField that refuses what is not an id before asking the database."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A ModelMultipleChoiceField that refuses what is not an id before asking the database."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if parse_id(pk) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"],
                                      code="invalid_pk_value", params={"pk": str(pk)[:40]})
        return super()._check_values(value)  # type: ignore[misc]  # not in the stubs
