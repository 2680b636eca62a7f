"""Reading on the Threads stand-in: the profile, the user's own posts with fields and cursor
paging, a post's replies and conversation, the user's replies, mentions, hiding a reply,
deleting a post."""

from __future__ import annotations

from typing import Any

import requests

from tests.peers.threads.conftest import Setup


def _publish(setup: Setup, text: str, **extra: str) -> str:
    container = setup.graph.container(setup.token, media_type="TEXT", text=text, **extra)
    answer = setup.graph.publish(setup.token, container)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _get(setup: Setup, path: str, **params: str) -> Any:
    answer = setup.graph.call("GET", path, setup.token, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_profile_fields(setup: Setup) -> None:
    me = _get(setup, "/me", fields="id,username,name,threads_biography,"
                                   "threads_profile_picture_url")
    assert me["username"] == "ann"
    assert me["threads_profile_picture_url"].startswith(setup.peer.base_url + "/_cdn/")
    assert _get(setup, f"/{setup.ann.id}") == {"id": setup.ann.id}
    unknown = setup.graph.call("GET", "/me", setup.token, params={"fields": "email"})
    assert unknown.json()["error"]["message"] == "Tried accessing nonexisting field (email)"
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == "unknown field email"


def test_own_posts_newest_first_with_cursor_paging(setup: Setup) -> None:
    ids = [_publish(setup, f"post {n}") for n in range(5)]
    bob = setup.peer.create_user("bob")
    setup.peer.reply_as(bob, ids[0], "a reply is not a thread")
    first = _get(setup, "/me/threads", fields="id,text,timestamp,permalink", limit="2")
    assert [p["text"] for p in first["data"]] == ["post 4", "post 3"]
    assert first["data"][0]["permalink"].startswith("https://www.threads.net/@ann/post/")
    assert first["data"][0]["timestamp"].endswith("+0000")
    seen = [p["id"] for p in first["data"]]
    page = first
    while "next" in page["paging"]:
        answer = requests.get(page["paging"]["next"], timeout=30)
        page = answer.json()
        seen += [p["id"] for p in page["data"]]
    assert seen == ids[::-1]
    both = setup.graph.call("GET", "/me/threads", setup.token,
                            params={"before": "x", "after": "y"})
    assert both.status_code == 400
    assert setup.peer.protocol_errors(clear=True)[-1]["rule"] == "before and after together"


def test_since_and_until(setup: Setup) -> None:
    _publish(setup, "now")
    assert _get(setup, "/me/threads", since="1688540400")["data"]
    too_early = setup.graph.call("GET", "/me/threads", setup.token,
                                 params={"since": "1600000000"})
    assert too_early.status_code == 400
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == "since='1600000000'"


def test_replies_and_the_conversation(setup: Setup) -> None:
    root = _publish(setup, "What do you think?")
    bob = setup.peer.create_user("bob")
    cy = setup.peer.create_user("cy")
    first = setup.peer.reply_as(bob, root, "I agree")["id"]
    second = setup.peer.reply_as(cy, root, "I do not")["id"]
    nested = setup.peer.reply_as(cy, first, "Why?")["id"]
    mine = setup.graph.container(setup.token, media_type="TEXT", text="Because",
                                 reply_to_id=nested)
    my_reply = setup.graph.publish(setup.token, mine).json()["id"]
    top = _get(setup, f"/{root}/replies", fields="id,text,username,root_post,replied_to,"
                                                 "is_reply,hide_status,has_replies")
    assert [r["id"] for r in top["data"]] == [second, first]  # reverse chronological
    assert top["data"][1] == {"id": first, "text": "I agree", "username": "bob",
                              "root_post": {"id": root}, "replied_to": {"id": root},
                              "is_reply": True, "hide_status": "NOT_HUSHED",
                              "has_replies": True}
    everything = _get(setup, f"/{root}/conversation", reverse="false")
    assert [r["id"] for r in everything["data"]] == [first, second, nested, my_reply]
    own = _get(setup, "/me/replies", fields="id,replied_to,is_reply_owned_by_me")
    assert own["data"] == [{"id": my_reply, "replied_to": {"id": nested},
                            "is_reply_owned_by_me": True}]
    limits = _get(setup, "/me/threads_publishing_limit", fields="reply_quota_usage")
    assert limits["data"] == [{"reply_quota_usage": 1}]
    hide = setup.graph.call("POST", f"/{first}/manage_reply", setup.token,
                            data={"hide": "true"})
    assert hide.json() == {"success": True}
    again = _get(setup, f"/{root}/replies", fields="hide_status")
    assert again["data"][1]["hide_status"] == "HIDDEN"


def test_reading_replies_needs_its_permission(setup: Setup) -> None:
    root = _publish(setup, "hello")
    basic = setup.peer.token_for(setup.ann, setup.app, ("threads_basic",))
    refused = setup.graph.call("GET", f"/{root}/replies", basic)
    assert refused.json()["error"]["code"] == 10
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == (
        "missing permission threads_read_replies")


def test_mentions(setup: Setup) -> None:
    bob = setup.peer.create_user("bob")
    mention = setup.peer.post_as(bob, "hello @Ann, look")["id"]
    setup.peer.post_as(bob, "nothing for ann here")
    found = _get(setup, "/me/mentions", fields="id,username,text")
    assert found["data"] == [{"id": mention, "username": "bob", "text": "hello @Ann, look"}]


def test_delete_own_post(setup: Setup) -> None:
    post = _publish(setup, "oops")
    bob = setup.peer.create_user("bob")
    other = setup.peer.post_as(bob, "not yours")["id"]
    answer = setup.graph.call("DELETE", f"/{post}", setup.token)
    assert answer.json() == {"success": True, "deleted_id": post}
    gone = setup.graph.call("GET", f"/{post}", setup.token)
    assert (gone.json()["error"]["code"], gone.json()["error"]["error_subcode"]) == (100, 33)
    assert setup.graph.call("DELETE", f"/{other}", setup.token).status_code == 400
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == (
        "DELETE of another user's post")
    assert _get(setup, "/me/threads")["data"] == []
    assert setup.peer.posts(setup.ann)[0]["deleted"] is True


def test_keyword_search(setup: Setup) -> None:
    mine = _publish(setup, "Bread and butter", topic_tag="baking")
    bob = setup.peer.create_user("bob")
    older = setup.peer.post_as(bob, "Sourdough bread, day two")["id"]
    newer = setup.peer.post_as(bob, "More BREAD please")["id"]
    setup.peer.reply_as(setup.peer.create_user("cy"), older, "looks good")
    own_only = setup.peer.token_for(setup.ann, setup.app, ("threads_basic",))
    found = setup.graph.call("GET", "/keyword_search", own_only, params={"q": "bread"})
    assert [p["id"] for p in found.json()["data"]] == [mine]
    searcher = setup.peer.token_for(setup.ann, setup.app, ("threads_basic",
                                                           "threads_keyword_search"))
    recent = setup.graph.call("GET", "/keyword_search", searcher, params={
        "q": "bread", "search_type": "RECENT", "fields": "id,username"}).json()["data"]
    assert [p["id"] for p in recent] == [newer, older, mine]
    top = setup.graph.call("GET", "/keyword_search", searcher,
                           params={"q": "bread"}).json()["data"]
    assert top[0]["id"] == older  # the one with a reply
    tagged = setup.graph.call("GET", "/keyword_search", searcher, params={
        "q": "baking", "search_mode": "TAG"}).json()["data"]
    assert [p["id"] for p in tagged] == [mine]
    nothing = setup.graph.call("GET", "/keyword_search", searcher, params={"q": "cheese"})
    assert nothing.json()["data"] == []
    setup.peer.use_quota(setup.ann, "searches", 2200 - 4)  # 4 searches found something
    over = setup.graph.call("GET", "/keyword_search", searcher, params={"q": "bread"})
    assert over.json()["error"]["code"] == 9


def test_insights_of_an_own_post(setup: Setup) -> None:
    root = _publish(setup, "Count me")
    bob = setup.peer.create_user("bob")
    first = setup.peer.reply_as(bob, root, "one")["id"]
    setup.peer.reply_as(bob, first, "nested")
    setup.peer.engage(root, likes=7, views=120)
    token = setup.peer.token_for(setup.ann, setup.app, ("threads_basic",
                                                        "threads_manage_insights"))
    answer = setup.graph.call("GET", f"/{root}/insights", token,
                              params={"metric": "likes,replies,views,quotes"})
    assert answer.status_code == 200, answer.text
    values = {m["name"]: m["values"][0]["value"] for m in answer.json()["data"]}
    assert values == {"likes": 7, "replies": 2, "views": 120, "quotes": 0}
    assert answer.json()["data"][0]["id"] == f"{root}/insights/likes/lifetime"
    direct = setup.graph.call("GET", f"/{first}/insights", token,
                              params={"metric": "replies"})
    assert direct.status_code == 400  # bob's reply is not the caller's post
    wrong = setup.graph.call("GET", f"/{root}/insights", token, params={"metric": "hearts"})
    assert wrong.status_code == 400
    assert len(setup.peer.protocol_errors(clear=True)) == 2


def test_reposting_someone_elses_post(setup: Setup) -> None:
    bob = setup.peer.create_user("bob")
    original = setup.peer.post_as(bob, "worth sharing")["id"]
    made = setup.graph.call("POST", f"/{original}/repost", setup.token)
    assert made.status_code == 200, made.text
    repost = made.json()["id"]
    again = setup.graph.call("POST", f"/{original}/repost", setup.token)
    assert again.json() == {"id": repost}
    listed = _get(setup, "/me/threads", fields="id,media_type,reposted_post")
    assert listed["data"] == [{"id": repost, "media_type": "REPOST_FACADE",
                               "reposted_post": {"id": original}}]
    assert setup.graph.call("DELETE", f"/{repost}", setup.token).json() == {
        "success": True, "deleted_id": repost}
    assert _get(setup, "/me/threads")["data"] == []
