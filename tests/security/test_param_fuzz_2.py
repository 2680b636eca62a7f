"""Hostile values in every parameter of share 2 of the hub's URLs (tests/security/param_fuzz.py):
a refusal, never a 500."""

from __future__ import annotations

from django.test import Client

from tests.security.param_fuzz import no_parameter_value_answers_500


def test_no_parameter_value_answers_500(signed_in: Client) -> None:
    no_parameter_value_answers_500(signed_in, 1)
