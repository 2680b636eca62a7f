"""Text that lies about itself: bidirectional overrides that turn "gnp.exe" round, and links
whose text shows one address while they lead to another."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from hubbub.core.sanitize import clean_html, clean_text, safe_url
from hubbub.networks.base import Item
from hubbub.timeline.ingest import normalize

# U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates.
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
ANY_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
RLO = "\u202e"


@pytest.mark.parametrize("control", BIDI)
def test_bidi_controls_leave_post_html_and_text(control: str) -> None:
    payload = f"<p>tnetnoc ni {control}OLR exe.png <a href=\"https://x.example/{control}\">a</a></p>"
    assert not ANY_BIDI.search(clean_html(payload))
    assert not ANY_BIDI.search(clean_text(f"photo{control}gnp.exe"))
    assert clean_text(f"photo{control}gnp.exe") == "photognp.exe"


def test_bidi_written_as_character_references_leaves_too() -> None:
    for reference in ("&#8238;", "&#x202E;", "&#x2067;"):
        cleaned = clean_html(f"<p>invoice{reference}fdp.exe</p>")
        assert not ANY_BIDI.search(cleaned), reference
        assert "invoice" in cleaned


def test_a_url_holding_a_bidi_control_is_refused() -> None:
    assert safe_url(f"https://x.example/{RLO}gnp.exe") == ""
    assert safe_url(f"https://x.example/a{chr(0x2066)}") == ""


def test_every_text_field_of_an_item_loses_bidi_controls() -> None:
    row = normalize(Item(
        remote_id="1", kind="post", author_handle=f"@a{RLO}@x.example",
        author_name=f"Mallory {RLO}nimda", created_at=datetime(2026, 12, 1, tzinfo=UTC),
        text=f"text {RLO}here", html=f"<p>html {RLO}here</p>", url="https://x.example/1",
        extra={
            "content_warning": f"cw {RLO}here",
            "reposted_by_name": f"by {RLO}here",
            "media": [{"type": "image", "url": "https://x.example/a.png",
                       "description": f"tnetnoc ni {RLO}OLR exe.png"}],
            "card": {"url": "https://x.example/c", "title": f"title {RLO}here",
                     "description": f"about {RLO}here"},
            "quote": {"author_name": f"q {RLO}here", "text": f"quoted {RLO}here"},
            "note": f"extra {RLO}here",
        }))
    assert row is not None
    assert not ANY_BIDI.search(repr(row)), [k for k, v in row.items()
                                           if ANY_BIDI.search(repr(v))]
    assert row["media"][0]["description"] == "tnetnoc ni OLR exe.png"


@pytest.mark.parametrize(("shown", "href", "host"), [
    ("example.com", "https://evil.test/login", "evil.test"),
    ("https://example.com/login", "https://evil.test/login", "evil.test"),
    ("www.paypal.com", "https://paypal.com.evil.test/", "paypal.com.evil.test"),
    ("HTTPS://Bank.Example/", "https://bank.example.evil.test/", "bank.example.evil.test"),
    ("\u0435xample.com", "https://example.com/", "example.com"),  # a Cyrillic e shown
    ("example.com,", "https://evil.test/", "evil.test"),
    (" example.com/login) ", "https://evil.test/", "evil.test"),
])
def test_a_link_showing_another_address_shows_its_real_host(shown: str, href: str,
                                                            host: str) -> None:
    cleaned = clean_html(f'<p>go to <a href="{href}">{shown}</a> now</p>')
    assert f"</a> [{host}]" in cleaned
    assert cleaned.count("[") == 1


@pytest.mark.parametrize(("shown", "href"), [
    ("example.com", "https://example.com/a"),
    ("https://example.com/a/b", "https://example.com/a/b"),
    ("www.example.com/x", "https://example.com/x"),
    ("example.com", "https://blog.example.com/post"),
    ("EXAMPLE.com", "https://example.com/"),
    ("@alice", "https://example.social/@alice"),
    ("#tag", "https://example.social/tags/tag"),
    ("read this", "https://evil.test/"),
    ("bücher.example", "https://xn--bcher-kva.example/"),
])
def test_honest_links_are_left_alone(shown: str, href: str) -> None:
    cleaned = clean_html(f'<p><a href="{href}">{shown}</a></p>')
    assert "</a> [" not in cleaned


def test_mastodon_link_markup_is_read_through_its_spans() -> None:
    markup = ('<p><a href="https://evil.test/x" rel="nofollow noopener" target="_blank">'
              '<span class="invisible">https://</span><span class="ellipsis">bank.example/'
              'account</span><span class="invisible">/login</span></a></p>')
    assert "</a> [evil.test]" in clean_html(markup)
    honest = markup.replace("https://evil.test/x", "https://bank.example/account/login")
    assert "[" not in clean_html(honest)


def test_attributes_before_the_href_do_not_hide_a_link() -> None:
    # nh3 keeps title and lang, in the order they were written.
    for opening in ('<a title="t" href="https://evil.test/">',
                    '<a lang="en" title="x href=&quot;https://example.com/&quot;" '
                    'href="https://evil.test/">'):
        assert clean_html(f"{opening}example.com</a>").endswith("</a> [evil.test]"), opening


def test_the_host_shown_is_escaped() -> None:
    cleaned = clean_html('<a href="https://evil.test/">a.example</a>')
    assert cleaned.endswith("</a> [evil.test]")
    assert "<script" not in clean_html(
        '<a href="https://x.example/">&lt;script&gt;.example</a>')
