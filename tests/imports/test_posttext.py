"""Post text from a feed entry: plain substitution, trimmed to fit each target, link whole."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.core.counting import count_text
from hubbub.imports.posttext import DoesNotFit, check_template, cut, fit, render
from tests.imports.conftest import account

pytestmark = pytest.mark.django_db
LINK = "https://blog.example/2026/11/a-post-about-things"


def values(title: str = "Title", summary: str = "", author: str = "Grace") -> dict[str, str]:
    return {"title": title, "link": LINK, "summary": summary, "author": author}


@pytest.mark.parametrize("template", ["{title} {link}", "{ title }", "New: {summary}\n{link}"])
def test_good_templates(template: str) -> None:
    check_template(template)


@pytest.mark.parametrize(("template", "message"), [
    ("{title.__class__}", "is not a field"), ("{0}", "is not a field"),
    ("{title!r}", "is not a field"), ("{title:>10}", "is not a field"),
    ("no fields at all", "at least one field"),
])
def test_templates_are_plain_substitution_only(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_template(template)


def test_render_tidies_spaces_left_by_empty_fields() -> None:
    assert render("{title} by {author}  {link}", values(author="")) == f"Title by {LINK}"
    assert render("{title}\n\n\n\n{summary}\n{link}", values(summary="")) == f"Title\n\n{LINK}"
    assert render("{title} {{literal}}", values()) == "Title {{literal}}"


def test_cut_keeps_whole_graphemes_and_words() -> None:
    assert cut("short", 10) == "short"
    assert cut("one two three four five six", 20) == "one two three four…"
    flags = "🇩🇪🇫🇷🇯🇵🇧🇷🇨🇦🇮🇹🇪🇸🇬🇧🇺🇸🇳🇱"
    assert cut(flags, 9) == "🇩🇪🇫🇷🇯🇵🇧🇷🇨🇦🇮🇹🇪🇸🇬🇧…"
    family = "👨‍👩‍👧‍👦" * 12
    assert cut(family, 10) == "👨‍👩‍👧‍👦" * 9 + "…"
    assert cut("abcdefghijklmnop", 5) == ""  # too little would be left: leave it out


def test_fit_trims_summary_first_then_title_and_never_the_link(owner: User) -> None:
    tiny = account(owner, "bluesky", "tiny.sky.example")
    template = "{title}: {summary} {link}"
    long_summary = "word " * 200
    text = fit(template, values(summary=long_summary), [tiny])
    assert text.startswith("Title: word word")
    assert text.endswith("… " + LINK)
    assert count_text("bluesky", text) <= 300
    assert count_text("bluesky", text) > 280  # it uses the room there is

    long_title = "Headline " * 60
    text = fit(template, values(title=long_title, summary=long_summary), [tiny])
    assert text.startswith("Headline Headline")
    assert ": " not in text.replace("…: ", "")  # the summary went before the title was cut
    assert text.endswith(LINK)
    assert count_text("bluesky", text) <= 300


def test_fit_for_several_targets_fits_the_smallest(owner: User, masto: Connection,
                                                   sky: Connection) -> None:
    text = fit("{summary} {link}", values(summary="x " * 400), [masto, sky])
    assert count_text("bluesky", text) <= 300


def test_when_even_the_link_does_not_fit(owner: User) -> None:
    small = account(owner, "mastodon", "@s@masto.example", limit=10)
    with pytest.raises(DoesNotFit, match=r"@s@masto\.example"):
        fit("{title} {link}", values(), [small])
