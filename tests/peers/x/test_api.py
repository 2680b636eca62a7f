"""Posting and reading on the stand-in: the shapes X documents, and what it refuses."""

from __future__ import annotations

from tests.peers.x.conftest import Client
from tests.peers.x.peer import XPeer


def test_a_post_is_created_and_stored(x_peer: XPeer, client: Client) -> None:
    answer = client.post("hello from hubbub")
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert data["text"] == "hello from hubbub"
    assert data["edit_history_tweet_ids"] == [data["id"]]
    stored = x_peer.posts(client.user)
    assert [(p["id"], p["text"]) for p in stored] == [(data["id"], "hello from hubbub")]


def test_duplicate_content_is_refused_as_x_does(x_peer: XPeer, client: Client) -> None:
    assert client.post("same words").status_code == 201
    again = client.post("same words")
    assert again.status_code == 403
    assert again.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank", "title": "Forbidden", "status": 403,
    }
    assert len(x_peer.posts(client.user)) == 1
    # Another account may say the same thing.
    other = x_peer.create_user()
    assert x_peer.post_as(other, "same words")["text"] == "same words"


def test_replies_and_quotes_reference_their_posts(x_peer: XPeer, client: Client) -> None:
    friend = x_peer.create_user("bob")
    parent = x_peer.post_as(friend, "what do you think?")
    reply = client.post("I agree", reply={"in_reply_to_tweet_id": parent["id"]}).json()["data"]
    quote = client.post("look at this", quote_tweet_id=parent["id"]).json()["data"]
    looked = client.call("GET", "/2/tweets", params={
        "ids": f"{reply['id']},{quote['id']}",
        "tweet.fields": "referenced_tweets,in_reply_to_user_id,conversation_id,author_id",
        "expansions": "referenced_tweets.id,referenced_tweets.id.author_id",
    }).json()
    by_id = {p["id"]: p for p in looked["data"]}
    assert by_id[reply["id"]]["referenced_tweets"] == [{"type": "replied_to", "id": parent["id"]}]
    assert by_id[reply["id"]]["in_reply_to_user_id"] == friend.id
    assert by_id[reply["id"]]["conversation_id"] == parent["id"]
    assert by_id[quote["id"]]["referenced_tweets"] == [{"type": "quoted", "id": parent["id"]}]
    assert [t["id"] for t in looked["includes"]["tweets"]] == [parent["id"]]
    assert {u["username"] for u in looked["includes"]["users"]} == {"bob"}


def test_a_reply_to_a_deleted_post_is_refused(x_peer: XPeer, client: Client) -> None:
    mine = client.post("soon gone").json()["data"]
    deleted = client.call("DELETE", f"/2/tweets/{mine['id']}")
    assert deleted.json() == {"data": {"deleted": True}}
    answer = client.post("late", reply={"in_reply_to_tweet_id": mine["id"]})
    assert answer.status_code == 403
    assert client.call("DELETE", f"/2/tweets/{mine['id']}").status_code == 404
    gone = client.call("GET", f"/2/tweets/{mine['id']}").json()
    assert gone["errors"][0]["type"].endswith("/resource-not-found")


def test_pagination_since_id_and_max_results(x_peer: XPeer, client: Client) -> None:
    ids = [x_peer.post_as(client.user, f"post {n}")["id"] for n in range(25)]
    newest_first = list(reversed(ids))
    seen: list[str] = []
    params: dict[str, str] = {"max_results": "10"}
    pages = 0
    while True:
        body = client.call("GET", f"/2/users/{client.user.id}/tweets", params=params).json()
        pages += 1
        seen += [p["id"] for p in body.get("data", [])]
        assert body["meta"]["result_count"] == len(body.get("data", []))
        if "next_token" not in body["meta"]:
            break
        params["pagination_token"] = body["meta"]["next_token"]
    assert pages == 3
    assert seen == newest_first
    newer = client.call("GET", f"/2/users/{client.user.id}/tweets",
                        params={"since_id": ids[-3], "max_results": "5"}).json()
    assert [p["id"] for p in newer["data"]] == [ids[-1], ids[-2]]
    assert newer["meta"]["newest_id"] == ids[-1]
    nothing = client.call("GET", f"/2/users/{client.user.id}/tweets",
                          params={"since_id": ids[-1]}).json()
    assert nothing == {"meta": {"result_count": 0}}


def test_home_timeline_mentions_and_search(x_peer: XPeer, client: Client) -> None:
    friend = x_peer.create_user("bob")
    stranger = x_peer.create_user("carol")
    x_peer.follow(client.user, friend)
    followed = x_peer.post_as(friend, "a post by a friend #hubbub")
    strange = x_peer.post_as(stranger, "a post by a stranger")
    mention = x_peer.post_as(stranger, "hey @alice look")
    home = client.call("GET", f"/2/users/{client.user.id}/timelines/reverse_chronological",
                       params={"expansions": "author_id", "user.fields": "created_at"}).json()
    assert [p["id"] for p in home["data"]] == [followed["id"]]
    assert home["includes"]["users"][0]["username"] == "bob"
    assert "created_at" in home["includes"]["users"][0]
    mentions = client.call("GET", f"/2/users/{client.user.id}/mentions").json()
    assert [p["id"] for p in mentions["data"]] == [mention["id"]]
    found = client.call("GET", "/2/tweets/search/recent",
                        params={"query": "#hubbub -stranger"}).json()
    assert [p["id"] for p in found["data"]] == [followed["id"]]
    by = client.call("GET", "/2/tweets/search/recent", params={"query": "from:carol"}).json()
    assert [p["id"] for p in by["data"]] == [mention["id"], strange["id"]]
    other_home = client.call(
        "GET", f"/2/users/{friend.id}/timelines/reverse_chronological")
    assert other_home.status_code == 403


def test_fields_are_only_sent_when_asked(x_peer: XPeer, client: Client) -> None:
    post = x_peer.post_as(client.user, "plain")
    bare = client.call("GET", f"/2/tweets/{post['id']}").json()["data"]
    assert set(bare) == {"id", "text", "edit_history_tweet_ids"}
    rich = client.call("GET", f"/2/tweets/{post['id']}", params={
        "tweet.fields": "created_at,public_metrics,author_id"}).json()["data"]
    assert rich["created_at"].endswith("Z")
    assert rich["public_metrics"]["like_count"] == 0
    me = client.call("GET", "/2/users/me").json()["data"]
    assert me == {"id": client.user.id, "name": "alice", "username": "alice"}
    by_name = client.call("GET", "/2/users/by/username/alice",
                          params={"user.fields": "public_metrics"}).json()["data"]
    assert by_name["public_metrics"]["tweet_count"] == 1


def test_likes_and_reposts(x_peer: XPeer, client: Client) -> None:
    friend = x_peer.create_user("bob")
    post = x_peer.post_as(friend, "like me")
    liked = client.call("POST", f"/2/users/{client.user.id}/likes",
                        json={"tweet_id": post["id"]})
    assert liked.json() == {"data": {"liked": True}}
    assert x_peer.posts(friend)[0]["liked_by"] == [client.user.id]
    listed = client.call("GET", f"/2/users/{client.user.id}/liked_tweets").json()
    assert [p["id"] for p in listed["data"]] == [post["id"]]
    unliked = client.call("DELETE", f"/2/users/{client.user.id}/likes/{post['id']}")
    assert unliked.json() == {"data": {"liked": False}}
    reposted = client.call("POST", f"/2/users/{client.user.id}/retweets",
                           json={"tweet_id": post["id"]}).json()["data"]
    assert reposted["retweeted"] is True
    assert x_peer.posts(client.user)[0]["retweet_of"] == post["id"]
    undone = client.call("DELETE", f"/2/users/{client.user.id}/retweets/{post['id']}")
    assert undone.json() == {"data": {"retweeted": False}}
    for_someone_else = client.call("POST", f"/2/users/{friend.id}/likes",
                                   json={"tweet_id": post["id"]})
    assert for_someone_else.status_code == 403
