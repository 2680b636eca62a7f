"""A status's text (what the composer's "Replying to", a quote and a like's notification show)
holds what a reader sees of its HTML: not the source of a script or a style sheet, which the
cleaned HTML drops (found by the hostile-servers browser test: "HXm0337Xwindow.__pwned=1")."""

from __future__ import annotations

from hubbub.networks.mastodon.mapping import html_to_text


def test_script_and_style_bodies_are_not_text() -> None:
    html = ("<p>before</p><script>window.__pwned=1</script><STYLE>*{display:none}</STYLE>"
            "<svg><script>x()</script></svg><p>after <b>bold</b></p>")
    assert html_to_text(html) == "before\n\nafter bold"


def test_an_unclosed_script_hides_only_itself() -> None:
    assert html_to_text("<p>shown</p><script>hidden") == "shown"
    assert html_to_text("<p>a &lt;script&gt; named in words</p>") == "a <script> named in words"
