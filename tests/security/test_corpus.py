"""The hostile-content corpus (corpus.py) is as wide as issue 9 asks: 200 distinct payloads at
least, covering each family of attack it names."""

from __future__ import annotations

from tests.security.corpus import ALL, HTML, TEXT, URLS


def test_the_corpus_holds_at_least_200_distinct_payloads() -> None:
    assert len({(p.kind, p.value) for p in ALL}) == len(ALL) >= 200
    assert len({p.key for p in ALL}) == len(ALL)


def test_the_corpus_covers_every_family() -> None:
    html = " ".join(p.value for p in HTML).lower()
    for needle in ("<script", "onerror=", "<svg", "<math", "<iframe", "<form", "<base",
                   "http-equiv='refresh'", "<style", "style='", "&#x", "{{", "{%", "${"):
        assert needle in html, needle
    text = "".join(p.value for p in TEXT)
    for needle in ("\u202e", "\u2066", "\u200b", "\x00", "\ud800", "{{", "${"):
        assert needle in text, repr(needle)
    assert any(len(p.value) >= 100_000 for p in TEXT)
    assert any(len(p.value) >= 100_000 for p in HTML)
    urls = [p.value.lower().strip() for p in URLS]
    for scheme in ("javascript:", "data:", "vbscript:", "file:", "//"):
        assert any(u.startswith(scheme) for u in urls), scheme
    assert any("xn--" in u for u in urls)
    assert any("\u202e" in u for u in urls)
