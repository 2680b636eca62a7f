"""Publishing on the Threads stand-in: containers (every documented parameter checked), the
image really fetched from its URL and checked, status IN_PROGRESS -> FINISHED or ERROR,
publish once (a second publish never makes a second post), carousels, expiry, quotas."""

from __future__ import annotations

import requests

from tests.peers.threads.conftest import Pictures, Setup, picture
from tests.peers.threads.publish import text_length


def _status(setup: Setup, container_id: str) -> dict[str, object]:
    answer = setup.graph.call("GET", f"/{container_id}", setup.token,
                              params={"fields": "status,error_message"})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_a_text_post_is_made_once(setup: Setup) -> None:
    graph, token = setup.graph, setup.token
    container = graph.container(token, media_type="TEXT", text="Hello Threads",
                                reply_control="accounts_you_follow", topic_tag="hubbub")
    assert _status(setup, container) == {"id": container, "status": "FINISHED"}
    first = graph.publish(token, container)
    assert first.status_code == 200, first.text
    post_id = first.json()["id"]
    again = graph.publish(token, container)
    assert again.status_code == 400
    assert (again.json()["error"]["code"], again.json()["error"]["error_subcode"]) == (
        24, 4279009)
    assert [p["id"] for p in setup.peer.posts()] == [post_id]
    assert _status(setup, container)["status"] == "PUBLISHED"
    setup.peer.settings(republish="same_id")
    assert graph.publish(token, container).json() == {"id": post_id}
    assert len(setup.peer.posts()) == 1
    shown = graph.call("GET", f"/{post_id}", token, params={
        "fields": "id,media_type,text,owner,username,reply_audience,topic_tag,"
                  "media_product_type,is_reply"}).json()
    assert shown == {"id": post_id, "media_type": "TEXT_POST", "text": "Hello Threads",
                     "owner": {"id": setup.ann.id}, "username": "ann",
                     "reply_audience": "ACCOUNTS_YOU_FOLLOW", "topic_tag": "hubbub",
                     "media_product_type": "THREADS", "is_reply": False}


def test_status_stays_in_progress_for_the_reads_asked(setup: Setup) -> None:
    setup.peer.settings(in_progress_reads=2)
    container = setup.graph.container(setup.token, media_type="TEXT", text="Soon")
    early = setup.graph.publish(setup.token, container)
    assert early.json()["error"]["error_subcode"] == 4279009
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == (
        "threads_publish of a container that is IN_PROGRESS")
    assert _status(setup, container)["status"] == "IN_PROGRESS"
    assert _status(setup, container)["status"] == "IN_PROGRESS"
    assert _status(setup, container)["status"] == "FINISHED"
    assert setup.graph.publish(setup.token, container).status_code == 200


def test_the_image_is_fetched_and_checked(setup: Setup, pictures: Pictures) -> None:
    good = pictures.url("/moved.png", pictures.url("/a.png", picture("PNG")).encode(),
                        status=302)  # a redirect on this machine is followed
    container = setup.graph.container(setup.token, media_type="IMAGE", image_url=good,
                                      text="A picture", alt_text="An orange square")
    assert pictures.hits == ["/moved.png", "/a.png"]
    stored = setup.peer.containers()[0]
    assert (stored["mime_type"], stored["width"], stored["height"]) == ("image/png", 400, 300)
    post_id = setup.graph.publish(setup.token, container).json()["id"]
    shown = setup.graph.call("GET", f"/{post_id}", setup.token,
                             params={"fields": "media_type,media_url,alt_text"}).json()
    assert shown["media_type"] == "IMAGE"
    assert shown["alt_text"] == "An orange square"
    assert shown["media_url"].startswith(setup.peer.base_url + "/_cdn/media/")
    assert requests.get(shown["media_url"], timeout=30).content == picture("PNG")


def test_a_bad_image_makes_the_container_error(setup: Setup, pictures: Pictures) -> None:
    cases = {
        "missing": (pictures.url("/gone.png", b"", status=404), "UNKNOWN"),
        "gif": (pictures.url("/a.gif", picture("GIF"), "image/gif"), "UNKNOWN"),
        "not an image": (pictures.url("/x.png", b"hello"), "UNKNOWN"),
        "too thin": (pictures.url("/thin.png", picture("PNG", (2200, 200))),
                     "INVALID_ASPEC_RATIO"),
        "too big": (pictures.url("/big.png", b"\x89PNG" + b"0" * (8 * 1024 * 1024)),
                    "UNKNOWN"),
        "elsewhere": ("https://example.com/a.png", "UNKNOWN"),
        "sent elsewhere": (pictures.url("/away.png", b"https://example.com/a.png",
                                        status=302), "UNKNOWN"),
    }
    for name, (url, message) in cases.items():
        container = setup.graph.container(setup.token, media_type="IMAGE", image_url=url)
        status = _status(setup, container)
        assert status == {"id": container, "status": "ERROR", "error_message": message}, name
        refused = setup.graph.publish(setup.token, container)
        assert refused.json()["error"]["code"] == 24, name
    assert setup.peer.posts() == []
    assert "off this machine" in setup.peer.containers()[-1]["fetch_error"]
    assert len(setup.peer.protocol_errors(clear=True)) == len(cases)


def test_container_parameters_are_checked(setup: Setup) -> None:
    graph, token = setup.graph, setup.token

    def refused(**data: str) -> str:
        answer = graph.call("POST", "/me/threads", token, data=data)
        assert answer.status_code == 400, (data, answer.text)
        assert answer.json()["error"]["type"] == "THApiException"
        return str(answer.json()["error"]["message"])

    refused(media_type="POLL", text="x")
    refused(media_type="TEXT")
    refused(media_type="IMAGE", text="no url")
    refused(media_type="TEXT", text="x" * 501)
    refused(media_type="TEXT", text="hi", alt_text="alt on text")
    refused(media_type="TEXT", text="hi", link_attachment="ftp://example.com")
    refused(media_type="TEXT", text="hi", reply_control="nobody")
    refused(media_type="TEXT", text="hi", topic_tag="a.b")
    refused(media_type="CAROUSEL", children="1,2")
    assert graph.container(token, media_type="TEXT", text="x" * 500)
    assert graph.container(token, media_type="TEXT", text="see https://example.com",
                           link_attachment="https://example.com")
    errors = setup.peer.protocol_errors(clear=True)
    assert len(errors) == 9


def test_emoji_count_as_their_utf8_bytes() -> None:
    assert text_length("abc") == 3
    assert text_length("\U0001F600") == 4
    assert text_length("e\u0301") == 1  # one grapheme
    assert text_length("\U0001F1EB\U0001F1F7") == 8  # a flag: two regional indicators


def test_a_carousel_of_items(setup: Setup, pictures: Pictures) -> None:
    graph, token = setup.graph, setup.token
    items = [graph.container(token, media_type="IMAGE", is_carousel_item="true",
                             image_url=pictures.url(f"/{n}.png", picture("PNG")))
             for n in range(3)]
    alone = graph.publish(token, items[0])
    assert alone.status_code == 400
    setup.peer.protocol_errors(clear=True)
    as_json = graph.call("POST", "/me/threads", token, json={
        "media_type": "CAROUSEL", "children": items, "text": "Three"})
    assert as_json.status_code == 200, as_json.text
    carousel = as_json.json()["id"]
    post_id = graph.publish(token, carousel).json()["id"]
    shown = graph.call("GET", f"/{post_id}", token,
                       params={"fields": "media_type,children,text"}).json()
    assert shown["media_type"] == "CAROUSEL_ALBUM"
    assert len(shown["children"]["data"]) == 3
    reuse = graph.call("POST", "/me/threads", token, data={
        "media_type": "CAROUSEL", "children": ",".join(items[:2])})
    assert reuse.status_code == 400
    assert "used twice" in setup.peer.protocol_errors(clear=True)[0]["rule"]
    limits = graph.call("GET", "/me/threads_publishing_limit", token).json()
    assert limits == {"data": [{"quota_usage": 1,
                                "config": {"quota_total": 250, "quota_duration": 86400}}]}


def test_containers_expire_and_quotas_refuse(setup: Setup) -> None:
    graph, token = setup.graph, setup.token
    old = graph.container(token, media_type="TEXT", text="late")
    assert setup.peer.expire_containers() == 1
    assert _status(setup, old)["status"] == "EXPIRED"
    assert graph.publish(token, old).json()["error"]["error_subcode"] == 4279009
    setup.peer.protocol_errors(clear=True)
    setup.peer.use_quota(setup.ann, "posts", 250)
    full = graph.publish(token, graph.container(token, media_type="TEXT", text="one more"))
    assert full.status_code == 400
    assert (full.json()["error"]["code"], full.json()["error"]["error_subcode"]) == (
        9, 2207042)
    assert setup.peer.posts() == []


def test_auto_publish_text_publishes_at_once(setup: Setup) -> None:
    answer = setup.graph.call("POST", "/me/threads", setup.token, data={
        "media_type": "TEXT", "text": "now", "auto_publish_text": "true"})
    assert answer.status_code == 200
    assert [p["id"] for p in setup.peer.posts()] == [answer.json()["id"]]
    setup.peer.use_quota(setup.ann, "posts", 249)
    over = setup.graph.call("POST", "/me/threads", setup.token, data={
        "media_type": "TEXT", "text": "one too many", "auto_publish_text": "true"})
    assert over.json()["error"]["code"] == 9
    assert len(setup.peer.posts()) == 1


def test_a_video_is_fetched_and_checked(setup: Setup, pictures: Pictures) -> None:
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
    cases = {pictures.url("/v.mp4", mp4, "video/mp4"): ("FINISHED", None),
             pictures.url("/v.txt", b"not a video", "video/mp4"): (
                 "ERROR", "FAILED_PROCESSING_VIDEO"),
             pictures.url("/gone.mp4", b"", status=404): ("ERROR", "FAILED_DOWNLOADING_VIDEO")}
    for url, (status, message) in cases.items():
        container = setup.graph.container(setup.token, media_type="VIDEO", video_url=url,
                                          alt_text="A clip")
        seen = _status(setup, container)
        assert seen["status"] == status, url
        assert seen.get("error_message") == message, url
    video = setup.peer.containers()[0]
    assert (video["mime_type"], video["media_size"]) == ("video/mp4", len(mp4))
    post_id = setup.graph.publish(setup.token, video["id"]).json()["id"]
    shown = setup.graph.call("GET", f"/{post_id}", setup.token,
                             params={"fields": "media_type,thumbnail_url"}).json()
    assert shown["media_type"] == "VIDEO"
    assert requests.get(shown["thumbnail_url"], timeout=30).content == mp4


def test_at_most_five_distinct_links(setup: Setup) -> None:
    five = " ".join(f"https://site{n}.example.com/a" for n in range(5))
    assert setup.graph.container(setup.token, media_type="TEXT", text=five + " " + five,
                                 link_attachment="https://site0.example.com/a")
    six = setup.graph.call("POST", "/me/threads", setup.token, data={
        "media_type": "TEXT", "text": five, "link_attachment": "https://www.threads.net"})
    assert six.status_code == 400
    assert six.json()["error"]["message"].startswith("THREADS_API__LINK_LIMIT_EXCEEDED")
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == "more than 5 distinct links"


def test_nested_fields_are_split_at_the_top_level(setup: Setup, pictures: Pictures) -> None:
    items = [setup.graph.container(setup.token, media_type="IMAGE", is_carousel_item="true",
                                   image_url=pictures.url(f"/{n}.png", picture("PNG")))
             for n in range(2)]
    carousel = setup.graph.container(setup.token, media_type="CAROUSEL",
                                     children=",".join(items))
    post_id = setup.graph.publish(setup.token, carousel).json()["id"]
    shown = setup.graph.call("GET", f"/{post_id}", setup.token, params={
        "fields": "id,children{id,media_url},media_type"})
    assert shown.status_code == 200, shown.text
    assert shown.json()["media_type"] == "CAROUSEL_ALBUM"
    assert len(shown.json()["children"]["data"]) == 2


def test_threads_publish_takes_only_creation_id(setup: Setup) -> None:
    container = setup.graph.container(setup.token, media_type="TEXT", text="x")
    answer = setup.graph.call("POST", "/me/threads_publish", setup.token,
                              data={"creation_id": container, "text": "again?"})
    assert answer.status_code == 200
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == (
        "a parameter threads_publish does not take: text")
