"""Too long for one network: its counter offers a thread there, with parts made by the
splitting rules and that network's own count; the other accounts keep the post whole."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.services import capabilities_for
from hubbub.core.counting import bluesky_length
from hubbub.networks.base import Draft
from hubbub.networks.registry import get_connector
from hubbub.publishing.models import Delivery, Post
from tests.web.fakes_composer import account, bluesky_account, compose, live, with_bluesky

pytestmark = pytest.mark.django_db
__all__ = ["with_bluesky"]

LONG = ("The first sentence is here. A second one follows it closely. Then a third, "
        "which is a little longer than the others were. And a fourth to end.")


def _counter(html: str, pk: int) -> str:
    return html.split(f'data-counter="{pk}"')[1].split('data-counter="')[0]


def _parts(html: str, pk: int) -> list[str]:
    found = re.findall(rf'<textarea name="part_{pk}"[^>]*>(.*?)</textarea>', html, re.S)
    return [p.replace("&#x27;", "'") for p in found]


def test_the_counter_offers_a_thread_only_where_it_is_too_long(client_in: Client,
                                                               owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    roomy = account(owner, "@roomy@fake.example", limit=500)
    html = live(client_in, text=LONG, targets=[small.pk, roomy.pk])
    counter_small, counter_roomy = _counter(html, small.pk), _counter(html, roomy.pk)
    assert "Split into a thread there" in counter_small
    assert f'value="split:{small.pk}"' in counter_small
    assert "Number the parts 1/n" in counter_small
    assert "Split into a thread there" not in counter_roomy


def test_no_offer_where_the_network_has_no_threads(client_in: Client, owner: User) -> None:
    flat = account(owner, "@flat@fake.example", threads=False)
    html = live(client_in, text=LONG, targets=[flat.pk])
    assert "over" in html
    assert "Split into a thread there" not in html


def test_split_gives_parts_within_the_limit(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    response = client_in.post(reverse("publishing:target_step", args=[small.pk, "split"]),
                              {"text": LONG, "targets": [small.pk]},
                              headers={"HX-Request": "true"})
    html = response.content.decode()
    parts = _parts(html, small.pk)
    assert len(parts) >= 3
    assert all(0 < len(p) <= 50 for p in parts)
    assert " ".join(parts) == LONG  # nothing lost, cut between sentences and words
    assert parts[0] == "The first sentence is here."
    assert f'name="custom_{small.pk}" value="1" checked' in html
    assert "Thread of" in html


def test_numbered_parts_end_in_i_of_n_within_the_limit(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    html = client_in.post(reverse("publishing:target_step", args=[small.pk, "split"]),
                          {"text": LONG, "targets": [small.pk], f"number_{small.pk}": "1"}
                          ).content.decode()
    parts = _parts(html, small.pk)
    n = len(parts)
    assert [p.rsplit(" ", 1)[1] for p in parts] == [f"{i}/{n}" for i in range(1, n + 1)]
    assert all(len(p) <= 50 for p in parts)


def test_the_warning_every_part_carries_is_counted(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    html = client_in.post(reverse("publishing:target_step", args=[small.pk, "split"]),
                          {"text": LONG, "content_warning": "a warning", "targets": [small.pk]}
                          ).content.decode()
    assert all(len(p) + len("a warning") <= 50 for p in _parts(html, small.pk))


def test_a_thread_is_posted_there_and_the_others_stay_whole(client_in: Client,
                                                            owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    roomy = account(owner, "@roomy@fake.example", limit=500)
    # Without the script: the split button is a submit button of the form.
    page = compose(client_in, text=LONG, targets=[small.pk, roomy.pk],
                   action=f"split:{small.pk}").content.decode()
    parts = _parts(page, small.pk)
    assert len(parts) >= 3
    assert not Post.objects.exists()
    edited = [*parts[:-1], parts[-1] + " (end)"]
    response = compose(client_in, text=LONG, targets=[small.pk, roomy.pk],
                       **{f"custom_{small.pk}": "1", f"text_{small.pk}": LONG,
                          f"part_{small.pk}": edited})
    assert response.status_code == 302
    thread = Delivery.objects.get(connection=small)
    whole = Delivery.objects.get(connection=roomy)
    assert thread.parts == edited  # the parts as the person left them
    assert whole.parts == []
    assert whole.text_override is None


def test_a_part_still_too_long_is_refused_with_its_number(client_in: Client,
                                                          owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    response = compose(client_in, text=LONG, targets=[small.pk],
                       **{f"custom_{small.pk}": "1", f"text_{small.pk}": LONG,
                          f"part_{small.pk}": ["fits", "x" * 60]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "@small@fake.example (part 2)" in html
    assert not Post.objects.exists()


def test_each_part_has_its_counter(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    html = live(client_in, text=LONG, targets=[small.pk],
                **{f"custom_{small.pk}": "1", f"text_{small.pk}": LONG,
                   f"part_{small.pk}": ["one two", "x" * 55]})
    assert "1/2" in html
    assert "2/2" in html
    assert "<strong>7</strong> / 50" in html
    assert "<strong>55</strong> / 50" in html
    assert "Part 2:" in html
    assert "Split into a thread there" not in html  # already a thread


def test_back_to_one_post(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    html = client_in.post(reverse("publishing:target_step", args=[small.pk, "unsplit"]),
                          {"text": LONG, "targets": [small.pk], f"custom_{small.pk}": "1",
                           f"text_{small.pk}": LONG, f"part_{small.pk}": ["a", "b"]}
                          ).content.decode()
    assert _parts(html, small.pk) == []


def test_a_text_that_cannot_be_cut_to_fit_says_why(client_in: Client, owner: User) -> None:
    small = account(owner, "@small@fake.example", limit=50)
    html = client_in.post(reverse("publishing:target_step", args=[small.pk, "split"]),
                          {"text": LONG, "content_warning": "w" * 60, "targets": [small.pk]}
                          ).content.decode()
    assert "alert" in html
    assert _parts(html, small.pk) == []


def test_bluesky_parts_keep_both_its_limits(with_bluesky: None, client_in: Client,
                                            owner: User) -> None:
    sky = bluesky_account(owner)
    # 250 four-byte emoji a sentence: graphemes fit 300, bytes (1000 a sentence) do not.
    sentence = "\N{GRINNING FACE}" * 250 + "."
    text = " ".join([sentence] * 4)
    html = client_in.post(reverse("publishing:target_step", args=[sky.pk, "split"]),
                          {"text": text, "targets": [sky.pk]}).content.decode()
    parts = list(_parts(html, sky.pk))
    assert len(parts) >= 2
    for part in parts:
        length = bluesky_length(part)
        assert length.graphemes <= 300
        assert length.utf8_bytes <= 3000
    # and the server's own check agrees with each part
    connector = get_connector("bluesky")
    for part in parts:
        assert connector.validate(Draft(text=part), capabilities_for(sky)).ok
