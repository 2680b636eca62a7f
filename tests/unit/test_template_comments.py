"""Django's `{# ... #}` comment ends at the end of its line: one spread over several lines is
not a comment at all and is printed on the page as it is. Every template is read the way Django
reads it (its lexer), and no text the page would show may hold a `{#`."""

from pathlib import Path

from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "hubbub"


def _printed_comment_starts(source: str) -> list[int]:
    return [
        (token.lineno or 0) + token.contents[: token.contents.index("{#")].count("\n")
        for token in Lexer(source).tokenize()
        if token.token_type == TokenType.TEXT and "{#" in token.contents
    ]


def test_a_multi_line_hash_comment_is_caught() -> None:
    assert _printed_comment_starts("<p>{# one line #}</p>") == []
    assert _printed_comment_starts("<p>\n{# one\n two #}</p>") == [2]


def test_no_template_prints_a_comment() -> None:
    files = sorted(TEMPLATES.rglob("templates/**/*.html"))
    assert len(files) > 50
    found = [
        f"{path.relative_to(TEMPLATES)}:{line}"
        for path in files
        for line in _printed_comment_starts(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "multi-line {# #} (use {% comment %}): " + ", ".join(found)
