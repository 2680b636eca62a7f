"""Customize for ...: each account may get its own text, warning and images; its counter and
preview use them; what is posted carries them as the delivery's overrides."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.publishing.models import Delivery, Post, PostMedia
from tests.web.fakes_composer import account, compose, live, png

pytestmark = pytest.mark.django_db


def test_an_accounts_own_text_warning_and_images_reach_its_delivery(
    client_in: Client, owner: User
) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example", limit=500)
    response = compose(
        client_in, text="Same for all", targets=[a.pk, b.pk],
        image_1=png("one.png"), alt_1="first", image_2=png("two.png", "blue"), alt_2="second",
        **{f"custom_{b.pk}": "1", f"text_{b.pk}": "Longer words just for B, who has room",
           f"cw_{b.pk}": "spoilers", f"media_{b.pk}": ["2"]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(user=owner)
    first, second = PostMedia.objects.filter(post=post).order_by("position")
    plain = Delivery.objects.get(post=post, connection=a)
    own = Delivery.objects.get(post=post, connection=b)
    assert (plain.text_override, plain.content_warning_override, plain.media_override) == (
        None, None, None)
    assert own.text_override == "Longer words just for B, who has room"
    assert own.content_warning_override == "spoilers"
    assert own.media_override == [second.pk]
    assert first.alt_text == "first"


def test_a_version_the_same_as_the_main_post_is_no_override(client_in: Client,
                                                             owner: User) -> None:
    a = account(owner, "@a@fake.example")
    compose(client_in, text="Hello", targets=[a.pk],
            **{f"custom_{a.pk}": "1", f"text_{a.pk}": "Hello ", f"cw_{a.pk}": ""})
    delivery = Delivery.objects.get(connection=a)
    assert delivery.text_override is None  # a later edit of the main text still reaches it


def test_an_unticked_customisation_is_ignored(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    compose(client_in, text="Hello", targets=[a.pk],
            **{f"custom_{b.pk}": "1", f"text_{b.pk}": "for b"})
    assert list(Delivery.objects.values_list("connection_id", flat=True)) == [a.pk]
    assert Delivery.objects.get().text_override is None


def test_each_counter_counts_its_own_text(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    html = live(client_in, text="short", targets=[a.pk, b.pk],
                **{f"custom_{b.pk}": "1", f"text_{b.pk}": "y" * 60})
    counter_a = html.split(f'data-counter="{a.pk}"')[1].split("data-counter")[0]
    counter_b = html.split(f'data-counter="{b.pk}"')[1].split("data-counter")[0]
    assert "<strong>5</strong> / 50" in counter_a
    assert "<strong>60</strong> / 50" in counter_b
    assert "10 over" in counter_b
    assert "Own text" in counter_b


def test_a_refused_post_keeps_every_accounts_version(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example")
    response = compose(client_in, text="fine", targets=[a.pk, b.pk],
                       **{f"custom_{b.pk}": "1", f"text_{b.pk}": "z" * 70,
                          f"cw_{b.pk}": "my warning"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "z" * 70 in html
    assert 'value="my warning"' in html
    assert f'name="custom_{b.pk}" value="1" checked' in html
    assert "@b@fake.example: " in html  # the reason names the account
    assert not Post.objects.exists()


def test_reset_to_the_main_text_without_script(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    response = compose(client_in, text="the main words", targets=[a.pk], action=f"reset:{a.pk}",
                       **{f"custom_{a.pk}": "1", f"text_{a.pk}": "my own words"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "my own words" not in html
    assert f'name="custom_{a.pk}" value="1" checked' not in html
    assert not Post.objects.exists()


def test_reset_with_htmx_returns_the_panel(client_in: Client, owner: User) -> None:
    a = account(owner, "@a@fake.example")
    response = client_in.post(
        reverse("publishing:target_step", args=[a.pk, "reset"]),
        {"text": "main", "targets": [a.pk], f"custom_{a.pk}": "1", f"text_{a.pk}": "own"},
        headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith(f'<details class="custom" id="custom-{a.pk}"')
    assert ">main</textarea>" in html
    assert response["HX-Trigger-After-Settle"] == "hubbub:recount"


def test_panels_are_there_for_every_account_without_script(client_in: Client,
                                                            owner: User) -> None:
    a = account(owner, "@a@fake.example")
    b = account(owner, "@b@fake.example", content_warning=False)
    html = client_in.get(reverse("publishing:compose")).content.decode()
    assert f'id="custom-{a.pk}"' in html
    assert f'id="custom-{b.pk}"' in html
    assert "has no warning field" in html  # said for the account without one only
    assert html.count("has no warning field") == 1


def test_someone_elses_account_has_no_panel(client: Client, other: User,
                                            client_in: Client) -> None:
    theirs = account(other, "@them@fake.example")
    response = client_in.post(reverse("publishing:target_step", args=[theirs.pk, "reset"]),
                              {"text": "x"})
    assert response.status_code == 404
