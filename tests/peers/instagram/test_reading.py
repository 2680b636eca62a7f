"""Reading against the stand-in, over HTTP: the account's media with fields and cursor paging,
comments and replies (read, written, hidden, deleted), and what is not offered."""

from __future__ import annotations

import calendar
import time

from tests.peers.instagram.conftest import Images, Setup, jpeg


def _publish(setup: Setup, images: Images, name: str, caption: str = "") -> str:
    url = images.add(name, jpeg())
    cid = setup.graph.post(f"/{setup.ann.id}/media", image_url=url, caption=caption).json()
    answer = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid["id"])
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def test_media_pages_newest_first_with_cursors(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    ids = [_publish(setup, images, f"{i}.jpg", f"post {i}") for i in range(5)]
    first = setup.graph.get("/me/media", fields="id,caption", limit=2).json()
    assert [m["id"] for m in first["data"]] == ids[::-1][:2]
    assert first["data"][0]["caption"] == "post 4"
    seen = [m["id"] for m in first["data"]]
    after = first["paging"]["cursors"]["after"]
    while True:
        page = setup.graph.get("/me/media", limit=2, after=after).json()
        seen += [m["id"] for m in page["data"]]
        if "next" not in page["paging"]:
            break
        after = page["paging"]["cursors"]["after"]
    assert seen == ids[::-1]
    assert set(page["data"][0]) == {"id"}  # the default field
    bad = setup.graph.get("/me/media", fields="id,likes")
    assert bad.status_code == 400
    assert "nonexisting field (likes)" in bad.json()["error"]["message"]
    assert len(setup.peer.protocol_errors(clear=True)) == 1


def test_comments_and_replies(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    media_id = _publish(setup, images, "c.jpg")
    theirs = setup.peer.comment_as(media_id, "Looks great!", username="bob")
    mine = setup.graph.post(f"/{theirs['id']}/replies", message="Thank you!")
    assert mine.status_code == 200, mine.text
    listed = setup.graph.get(f"/{media_id}/comments",
                             fields="id,text,username,replies{id,text}").json()["data"]
    assert [c["text"] for c in listed] == ["Looks great!"]
    assert listed[0]["username"] == "bob"
    assert [r["text"] for r in listed[0]["replies"]["data"]] == ["Thank you!"]
    replies = setup.graph.get(f"/{theirs['id']}/replies", fields="text,username").json()
    assert replies["data"][0]["username"] == "ann.bakes"
    nested = setup.graph.post(f"/{mine.json()['id']}/replies", message="no")
    assert nested.status_code == 400
    top = setup.graph.post(f"/{media_id}/comments", message="Open till 6 today")
    assert top.status_code == 200
    assert setup.graph.post(f"/{theirs['id']}", hide="true").json() == {"success": True}
    hidden = setup.graph.get(f"/{theirs['id']}", fields="hidden,text").json()
    assert hidden["hidden"] is True
    assert setup.graph.call("DELETE", f"/{top.json()['id']}").json() == {"success": True}
    count = setup.graph.get(f"/{media_id}", fields="comments_count").json()
    assert count["comments_count"] == 2  # bob's and the reply; the deleted one is gone
    assert len(setup.peer.protocol_errors(clear=True)) == 1


def test_comments_need_the_comments_permission(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    media_id = _publish(setup, images, "p.jpg")
    token = setup.peer.token_for(setup.ann, setup.app, ["instagram_business_basic"])
    answer = setup.graph.call("GET", f"/{media_id}/comments", token)
    assert answer.json()["error"]["code"] == 10
    assert len(setup.peer.protocol_errors(clear=True)) == 1


def test_deleting_media_is_not_offered_with_instagram_login(setup: Setup,
                                                           images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    media_id = _publish(setup, images, "d.jpg")
    answer = setup.graph.call("DELETE", f"/{media_id}")
    assert answer.status_code == 400
    assert answer.json()["error"]["error_subcode"] == 33
    assert setup.graph.get(f"/{media_id}").status_code == 200
    assert len(setup.peer.protocol_errors(clear=True)) == 1


def test_time_based_paging(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    first = _publish(setup, images, "1.jpg")
    cut = setup.graph.get(f"/{first}", fields="timestamp").json()["timestamp"]
    stamp = calendar.timegm(time.strptime(cut, "%Y-%m-%dT%H:%M:%S+0000"))
    later = [m["id"] for m in setup.graph.get("/me/media", since=stamp + 3600).json()["data"]]
    assert later == []
    upto = [m["id"] for m in setup.graph.get("/me/media", until=stamp + 1).json()["data"]]
    assert upto == [first]


def test_stories_are_listed_apart_from_media(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    post = _publish(setup, images, "p.jpg")
    cid = setup.graph.post(f"/{setup.ann.id}/media", media_type="STORIES",
                           image_url=images.add("s.jpg", jpeg(540, 960))).json()["id"]
    story = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid).json()["id"]
    assert [m["id"] for m in setup.graph.get("/me/media").json()["data"]] == [post]
    listed = setup.graph.get("/me/stories", fields="media_product_type").json()["data"]
    assert listed == [{"media_product_type": "STORY", "id": story}]
