"""Posts API: creating as a member and as a page, little text, articles, duplicates, the author
finder with paging, get, batch get and delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.peers.linkedin.conftest import ALL_SCOPES, Client, client_for
from tests.peers.linkedin.little import escape, parse
from tests.peers.linkedin.peer import LinkedInPeer, encoded


def test_a_member_posts_and_reads_it_back(client: Client) -> None:
    made = client.post("Hello from the stand-in")
    assert made.status_code == 201, made.text
    urn = made.headers["x-restli-id"]
    assert urn.startswith("urn:li:share:")
    assert made.content == b""
    got = client.get_post(urn)
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == urn
    assert body["author"] == client.member.urn
    assert body["commentary"] == "Hello from the stand-in"
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["visibility"] == "PUBLIC"
    assert body["publishedAt"] == body["createdAt"]
    stored = client.peer.posts(client.member.urn)
    assert [p["urn"] for p in stored] == [urn]
    assert stored[0]["text"] == "Hello from the stand-in"
    assert stored[0]["cut"] is False


@pytest.mark.parametrize(("sent", "shown"), [
    ("This is a test. (This is also a test.)", "This is a test. "),
    ("Launch day #hubbub is out", "Launch day "),
    ("mail me @ home", "mail me "),
    ("snake_case names", "snake"),
    ("a < b", "a "),
    ("C:\\path", "C:"),
])
def test_an_unescaped_reserved_character_cuts_the_post_short(client: Client, sent: str,
                                                             shown: str) -> None:
    made = client.post(sent)
    assert made.status_code == 201  # LinkedIn says nothing: the post is just shorter
    urn = made.headers["x-restli-id"]
    assert client.get_post(urn).json()["commentary"] == shown
    stored = client.peer.posts()[0]
    assert stored["cut"] is True
    assert stored["text"] == shown
    assert stored["sent_commentary"] == sent


def test_escaped_text_mentions_and_hashtag_templates_come_through_whole(client: Client) -> None:
    org = client.peer.create_organization("Acme Corp")
    plain = "Costs (about) $5 — see [1], a|b, {x}, <y>, *z*, _w_, ~v~, C:\\ and #tag @home"
    commentary = (escape(plain) + f" thanks @[Acme Corp]({org.urn}) "
                  "{hashtag|\\#|hubbub}")
    made = client.post(commentary)
    assert made.status_code == 201
    stored = client.peer.posts()[0]
    assert stored["cut"] is False
    assert stored["text"] == plain + " thanks Acme Corp #hubbub"
    assert stored["mentions"] == [org.urn]
    assert stored["hashtags"] == ["hubbub"]
    assert client.get_post(made.headers["x-restli-id"]).json()["commentary"] == commentary


def test_the_little_parser_on_its_own() -> None:
    assert parse("a \\\\ b").text == "a \\ b"
    assert parse("{hashtag|#|x} y").hashtags == ("x",)
    assert parse("@[Bad](https://example.com) rest").kept == ""
    assert parse("x" * 10).cut_at is None


def test_an_organization_posts_through_an_administrator(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member("Ann Admin")
    bob = li_peer.create_member("Bob Bystander")
    org = li_peer.create_organization("Acme Corp", [ann])
    ann_client = client_for(li_peer, ann, ALL_SCOPES)
    made = ann_client.post("From the page", author=org.urn)
    assert made.status_code == 201, made.text
    assert li_peer.posts(org.urn)[0]["author"] == org.urn
    refused = client_for(li_peer, bob, ALL_SCOPES).post("Not mine", author=org.urn)
    assert refused.status_code == 403
    assert refused.json()["message"].endswith("[/author]")
    no_scope = client_for(li_peer, ann, ["openid", "w_member_social"]).post(
        "No page scope", author=org.urn)
    assert no_scope.status_code == 403
    assert no_scope.json()["code"] == "ACCESS_DENIED"
    assert "partnerApiPostsExternal.CREATE" in no_scope.json()["message"]


def test_posting_as_someone_else_or_without_w_member_social_is_refused(
        li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    bob = li_peer.create_member("Bob")
    assert client_for(li_peer, ann, ALL_SCOPES).post("x", author=bob.urn).status_code == 403
    assert client_for(li_peer, ann, ["openid", "profile"]).post("x").status_code == 403
    assert li_peer.posts() == []


def test_an_article_carries_its_link_preview(client: Client) -> None:
    article = {"source": "https://example.com/post", "title": "A title",
               "description": "What it is about"}
    made = client.post("Read this", content={"article": article})
    assert made.status_code == 201, made.text
    assert client.get_post(made.headers["x-restli-id"]).json()["content"] == {"article": article}
    bad = client.post("Read this", content={"article": {"source": "example.com",
                                                        "title": "t"}})
    assert bad.status_code == 422
    errors = client.peer.protocol_errors(clear=True)
    assert errors[0]["rule"].startswith("ERROR :: /content/article/source")


def test_a_duplicate_is_refused_naming_the_first_post(client: Client) -> None:
    first = client.post("Same words twice").headers["x-restli-id"]
    again = client.post("Same words twice")
    assert again.status_code == 422
    body = again.json()
    assert body["message"].endswith(f"Content is a duplicate of {first}")
    assert body["errorDetails"]["inputErrors"][0]["code"] == "DUPLICATE_POST"
    assert client.post("Different words").status_code == 201
    client.call("DELETE", f"/rest/posts/{encoded(first)}")
    assert client.post("Same words twice").status_code == 201  # the first one is gone


def test_the_author_finder_pages_newest_first(client: Client) -> None:
    urns = [client.post(f"post {n}").headers["x-restli-id"] for n in range(7)]
    author = encoded(client.member.urn)
    seen: list[str] = []
    path = f"/rest/posts?author={author}&q=author&count=3"
    while path:
        page = client.call("GET", path)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["paging"]["total"] == 7
        assert body["paging"]["count"] == 3
        seen += [e["id"] for e in body["elements"]]
        nxt = [link["href"] for link in body["paging"]["links"] if link["rel"] == "next"]
        path = nxt[0] if nxt else ""
    assert seen == list(reversed(urns))


def test_the_finder_needs_r_member_social_and_an_encoded_urn(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    writer = client_for(li_peer, ann, ["openid", "w_member_social"])
    answer = writer.call("GET", f"/rest/posts?author={encoded(ann.urn)}&q=author")
    assert answer.status_code == 403
    reader = client_for(li_peer, ann, ALL_SCOPES)
    raw = reader.call("GET", f"/rest/posts?author={ann.urn}&q=author")
    assert raw.status_code == 400
    assert "URL-encoded" in li_peer.protocol_errors(clear=True)[0]["rule"]


def test_get_by_urn_needs_the_urn_encoded_in_the_path(client: Client) -> None:
    urn = client.post("x").headers["x-restli-id"]
    raw = client.call("GET", f"/rest/posts/{urn}")
    assert raw.status_code == 400
    assert len(client.peer.protocol_errors(clear=True)) == 1
    assert client.call("GET", f"/rest/posts/{encoded('urn:li:share:1')}").status_code == 404


def test_batch_get_takes_a_restli_list(client: Client) -> None:
    first = client.post("one").headers["x-restli-id"]
    second = client.post("two").headers["x-restli-id"]
    ids = ",".join(encoded(u) for u in (first, second, "urn:li:share:1"))
    answer = client.call("GET", f"/rest/posts?ids=List({ids})")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body["results"]) == {first, second}
    assert body["statuses"]["urn:li:share:1"] == 404


def test_delete_is_204_and_the_post_is_gone(client: Client) -> None:
    urn = client.post("short-lived").headers["x-restli-id"]
    gone = client.call("DELETE", f"/rest/posts/{encoded(urn)}")
    assert gone.status_code == 204
    assert client.get_post(urn).status_code == 404
    assert client.call("DELETE", f"/rest/posts/{encoded(urn)}").status_code == 204
    assert client.peer.posts()[0]["deleted"] is True


@pytest.mark.parametrize(("change", "rule"), [
    ({"visibility": "FRIENDS"}, 'ERROR :: /visibility :: "FRIENDS" is not an enum symbol'),
    ({"lifecycleState": None}, "ERROR :: /lifecycleState :: null cannot be coerced to String"),
    ({"color": "red"}, "ERROR :: /color :: unrecognized field found but not allowed"),
    ({"commentary": "x" * 3001}, "ERROR :: /commentary :: length 3001 is out of range 0...3000"),
    ({"distribution": {}}, "ERROR :: /distribution/feedDistribution :: field is required but "
                           "not found and has no default value"),
])
def test_a_body_that_breaks_the_schema_gets_422_and_is_recorded(client: Client,
                                                                change: dict[str, Any],
                                                                rule: str) -> None:
    fields = dict(change)
    answer = client.post(str(fields.pop("commentary", "hello")), **fields)
    assert answer.status_code == 422
    assert answer.json()["message"].strip() == rule
    assert [e["rule"] for e in client.peer.protocol_errors(clear=True)] == [rule]
    assert client.peer.posts() == []


def test_a_missing_required_field_and_broken_json(client: Client) -> None:
    answer = client.call("POST", "/rest/posts", json={"author": client.member.urn})
    assert answer.status_code == 422
    assert "/visibility :: field is required" in answer.json()["message"]
    broken = client.call("POST", "/rest/posts", data=b"{nope",
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert len(client.peer.protocol_errors(clear=True)) == 2
