"""The live preview (each network's way of showing links, mentions, tags, warnings, images
and threads) and the alt-text rule the composer states next to the images."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.accounts.models import Profile
from hubbub.networks.base import Capabilities, Draft, MediaLimits
from hubbub.publishing.models import Post
from hubbub.publishing.preview import preview, segments, style_for
from tests.web.fakes_composer import account, compose, live, png

pytestmark = pytest.mark.django_db

TEXT = ("Read https://www.example.com/a/very/long/path/to/an/article?with=query and "
        "ask @ada@social.example about #Hubbub!")


def _caps(counting: str, cw: bool = True) -> Capabilities:
    return Capabilities(text_limit=500, counting=counting, url_length=23, content_warning=cw,
                        media=MediaLimits(max_count=4, mime_types=(), image_max_bytes=1))


def _shown(counting: str, text: str, cw: bool = True) -> list[tuple[str, str]]:
    found = style_for(_caps(counting, cw)).find(text, _caps(counting, cw))
    return [(s.kind, s.text) for s in segments(text, found) if s.kind != "text"]


def test_mastodon_shortens_links_and_mentions() -> None:
    assert _shown("mastodon", TEXT) == [
        ("link", "example.com/a/very/long/path/t…"),
        ("mention", "@ada"),
        ("tag", "#Hubbub"),
    ]


def test_bluesky_shows_what_was_written() -> None:
    text = "See example.com and https://bsky.app/x, cc @ada.bsky.social #tag"
    assert _shown("bluesky", text) == [
        ("link", "example.com"),
        ("link", "https://bsky.app/x"),
        ("mention", "@ada.bsky.social"),
        ("tag", "#tag"),
    ]


def test_other_networks_show_links_and_tags() -> None:
    assert _shown("graphemes", "a https://x.example/p. #nostr #1 x#y") == [
        ("link", "https://x.example/p"), ("tag", "#nostr")]


def test_a_warning_collapses_or_leads_the_text(owner: User) -> None:
    connection = account(owner, "@a@fake.example")
    draft = Draft(text="inside", content_warning="spoilers")
    collapsed = preview(connection, _caps("mastodon"), [draft], [])
    assert collapsed.posts[0].content_warning == "spoilers"
    inline = preview(connection, _caps("bluesky", cw=False), [draft], [])
    assert inline.posts[0].content_warning == ""
    assert "".join(s.text for s in inline.posts[0].segments) == "CW: spoilers\n\ninside"


def test_a_link_card_is_expected_on_bluesky_without_images(owner: User) -> None:
    connection = account(owner, "@a@fake.example")
    draft = Draft(text="look https://example.org/page")
    card = preview(connection, _caps("bluesky", cw=False), [draft], [])
    assert card.posts[0].card_host == "example.org"
    assert "A card for example.org" in card.card_note
    from hubbub.publishing.preview import PreviewImage
    with_image = preview(connection, _caps("bluesky", cw=False), [draft],
                         [PreviewImage("/x.png", "alt", 1)])
    assert with_image.posts[0].card_host == ""


def test_the_live_preview_follows_each_accounts_version(client_in: Client,
                                                        owner: User) -> None:
    masto = account(owner, "@m@fake.example", counting="mastodon", limit=500)
    sky = account(owner, "@s@fake.example", counting="bluesky", limit=300,
                  content_warning=False)
    html = live(client_in, text=TEXT, content_warning="careful", targets=[masto.pk, sky.pk],
                meta_1="image/png;100;8;6", keep_1="m7", alt_1="a square",
                **{f"custom_{sky.pk}": "1", f"text_{sky.pk}": "Own words https://example.org",
                   f"cw_{sky.pk}": "", f"media_{sky.pk}": []})
    preview_html = html.split('id="preview"')[1]
    assert 'hx-swap-oob="innerHTML"' in html
    masto_part = preview_html.split(f'data-preview="{masto.pk}"')[1].split("data-preview=")[0]
    sky_part = preview_html.split(f'data-preview="{sky.pk}"')[1].split("data-preview=")[0]
    assert '<details class="pv-cw">' in masto_part
    assert "careful" in masto_part
    assert "example.com/a/very/long/path/t…" in masto_part
    assert 'class="pv-mention" title="@ada@social.example">@ada<' in masto_part
    assert 'alt="a square"' in masto_part
    assert 'src="/posts/media/7/"' in masto_part
    assert "Own words" in sky_part
    assert "pv-cw" not in sky_part
    assert "<img" not in sky_part  # this account was given no image
    assert "A card for example.org" in sky_part


def test_a_thread_previews_as_numbered_posts(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    html = live(client_in, text="x", targets=[small.pk],
                **{f"custom_{small.pk}": "1", f"text_{small.pk}": "x",
                   f"part_{small.pk}": ["one", "two", "three"]})
    preview_html = html.split('id="preview"')[1]
    assert "Thread of 3" in preview_html
    assert re.findall(r'pv-count">(\d/\d)<', preview_html) == ["1/3", "2/3", "3/3"]


def test_the_compose_page_has_the_preview(client_in: Client, owner: User) -> None:
    account(owner, "@a@fake.example")
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert 'id="preview"' in html
    assert "Nothing written yet" in html


# --- alt text ------------------------------------------------------------------------------------


def test_alt_text_is_required_by_default_and_said_so(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert "Alt text required" in html
    response = compose(client_in, text="pic", targets=[a.pk], image_1=png())
    assert response.status_code == 400
    assert "An image has no alt text." in response.content.decode()


def test_turning_the_rule_off_in_settings(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    settings_page = client_in.get(reverse("accounts:settings")).content.decode()
    assert 'name="require_alt_text" id="id_require_alt_text" checked' in settings_page
    response = client_in.post(reverse("publishing:alt_text_setting"), {}, follow=True)
    assert "Alt text is now optional" in response.content.decode()
    assert Profile.objects.get(user=owner).require_alt_text is False
    assert 'id="id_require_alt_text" checked' not in response.content.decode()
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert "Alt text optional" in html
    assert compose(client_in, text="pic", targets=[a.pk], image_1=png()).status_code == 302
    assert Post.objects.get().media.get().alt_text == ""
    client_in.post(reverse("publishing:alt_text_setting"), {"require_alt_text": "on"})
    assert Profile.objects.get(user=owner).require_alt_text is True
