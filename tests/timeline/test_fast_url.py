"""{% fast_url %} gives what {% url %} gives, under any script prefix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.template import engines
from django.urls import get_script_prefix, reverse, set_script_prefix

from hubbub.timeline.templatetags.deck_ui import fast_url


@pytest.fixture
def prefix() -> Iterator[None]:
    before = get_script_prefix()
    yield
    set_script_prefix(before)


@pytest.mark.parametrize("script_prefix", ["/", "/hub/", "/7340033219/"])
def test_fast_url_is_reverse(prefix: None, script_prefix: str) -> None:
    set_script_prefix(script_prefix)
    for pk in (1, 42, 7_340_033_219, 10**12):
        assert fast_url("timeline:item_react", pk) == reverse("timeline:item_react", args=[pk])
        assert fast_url("timeline:column", pk) == reverse("timeline:column", args=[pk])
    assert fast_url("publishing:compose") == reverse("publishing:compose")
    assert fast_url("timeline:item_react", "5") == reverse("timeline:item_react", args=["5"])


def test_the_template_tag_renders_as_the_url_tag() -> None:
    template = engines["django"].from_string(
        "{% load deck_ui %}{% fast_url 'timeline:item_react' pk as u %}[{{ u }}]"
        "[{% url 'timeline:item_react' pk %}][{% fast_url 'publishing:compose' %}]"
        "[{% url 'publishing:compose' %}]")
    out = template.render({"pk": 31})
    react, react_url, compose, compose_url = out.strip("[]").split("][")
    assert react == react_url == "/deck/items/31/react/"
    assert compose == compose_url
