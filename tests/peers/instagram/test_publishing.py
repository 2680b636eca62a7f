"""Content publishing against the stand-in, over HTTP: containers made from images the
stand-in really fetches, their status, publishing once, carousels, expiry and the quota."""

from __future__ import annotations

import threading

import requests

from tests.peers.instagram.conftest import CALLBACK, Graph, Images, Setup, jpeg, wait_finished
from tests.peers.instagram.peer import InstagramPeer


def _container(setup: Setup, **data: str) -> str:
    answer = setup.graph.post(f"/{setup.ann.id}/media", **data)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def test_an_image_is_fetched_polled_published_once_and_read_back(setup: Setup,
                                                                 images: Images) -> None:
    url = images.add("cake.jpg", jpeg(1080, 1350))
    cid = _container(setup, image_url=url, caption="Fresh #cake", alt_text="A sponge cake")
    assert images.hits == ["cake.jpg"]  # fetched when the container was made
    early = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid)
    assert early.status_code == 400
    error = early.json()["error"]
    assert (error["code"], error["error_subcode"]) == (9007, 2207027)
    first = setup.graph.get(f"/{cid}", fields="status_code")
    assert first.json() == {"status_code": "IN_PROGRESS", "id": cid}
    assert wait_finished(setup.graph, cid)["status_code"] == "FINISHED"

    published = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid)
    assert published.status_code == 200, published.text
    media_id = published.json()["id"]
    again = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid)
    assert again.status_code == 400
    assert again.json()["error"]["error_subcode"] == 2207006
    assert [m["id"] for m in setup.peer.media()] == [media_id]
    assert setup.graph.get(f"/{cid}", fields="status_code").json()["status_code"] == \
        "PUBLISHED"

    listed = setup.graph.get("/me/media", fields="id,caption,media_type,alt_text,media_url,"
                                                 "permalink,timestamp,username").json()
    row = listed["data"][0]
    assert row["id"] == media_id
    assert row["caption"] == "Fresh #cake"
    assert row["alt_text"] == "A sponge cake"
    assert row["media_type"] == "IMAGE"
    assert row["username"] == "ann.bakes"
    assert row["permalink"].startswith("https://www.instagram.com/p/")
    assert requests.get(row["media_url"], timeout=30).content == jpeg(1080, 1350)


def test_republish_can_answer_the_same_media_id(setup: Setup, images: Images) -> None:
    setup.peer.settings(republish="same", in_progress_reads=0)
    cid = _container(setup, image_url=images.add("a.jpg", jpeg()))
    first = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid).json()
    second = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid).json()
    assert first == second
    assert len(setup.peer.media()) == 1


def test_images_instagram_cannot_take_fail_the_container(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    png = _container(setup, image_url=images.add("a.png", jpeg(fmt="PNG"), content_type=
                                                 "image/png"))
    wide = _container(setup, image_url=images.add("wide.jpg", jpeg(2000, 500)))
    big = _container(setup, image_url=images.add("big.jpg", b"\xff\xd8" + b"0" * (8 << 20)))
    messages = {}
    for cid, subcode in ((png, "2207005"), (wide, "2207009"), (big, "2207004")):
        body = setup.graph.get(f"/{cid}", fields="status_code,status").json()
        assert (body["status_code"], body["status"]) == ("ERROR", subcode)
        refused = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid)
        assert refused.json()["error"]["error_subcode"] == int(subcode)
        messages[subcode] = refused.json()["error"]["message"]
    assert messages["2207005"] == ("The image format PNG is not supported. Supported formats "
                                   "are: JPEG.")
    assert "aspect ratio 4 cannot be published" in messages["2207009"]
    assert setup.peer.media() == []


def test_an_image_that_cannot_be_fetched_is_refused_at_once(setup: Setup,
                                                            images: Images) -> None:
    missing = setup.graph.post(f"/{setup.ann.id}/media", image_url=images.add(
        "gone.jpg", b"", status=404))
    assert missing.status_code == 400
    error = missing.json()["error"]
    assert (error["code"], error["error_subcode"]) == (9004, 2207052)
    assert error["error_user_title"] == "Media download has failed."
    assert error["error_user_msg"].startswith("The media could not be fetched from this uri: "
                                              "http://127.0.0.1:")
    far = setup.graph.post(f"/{setup.ann.id}/media", image_url="https://example.com/a.jpg")
    assert far.json()["error"]["error_subcode"] == 2207052
    assert setup.peer.containers() == []


def test_sync_image_errors_refuse_the_container_request(setup: Setup, images: Images) -> None:
    setup.peer.settings(image_errors="sync")
    answer = setup.graph.post(f"/{setup.ann.id}/media",
                              image_url=images.add("w.jpg", jpeg(300, 1000)))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 36003


def test_a_carousel_of_items_publishes_one_post(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    kids = [_container(setup, image_url=images.add(f"{i}.jpg", jpeg()), is_carousel_item="true",
                       alt_text=f"photo {i}") for i in range(3)]
    cid = _container(setup, media_type="CAROUSEL", children=",".join(kids), caption="Three")
    media_id = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid).json()["id"]
    album = setup.graph.get(f"/{media_id}", fields="media_type,children,caption").json()
    assert album["media_type"] == "CAROUSEL_ALBUM"
    assert album["caption"] == "Three"
    assert len(album["children"]["data"]) == 3
    listed = setup.graph.get(f"/{setup.ann.id}/media").json()["data"]
    assert [m["id"] for m in listed] == [media_id]
    limit = setup.graph.get(f"/{setup.ann.id}/content_publishing_limit",
                            fields="quota_usage,config").json()
    assert limit == {"data": [{"quota_usage": 1, "config": {"quota_total": 50,
                                                             "quota_duration": 86400}}]}


def test_carousel_rules(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    one = _container(setup, image_url=images.add("1.jpg", jpeg()), is_carousel_item="true")
    plain = _container(setup, image_url=images.add("2.jpg", jpeg()))
    alone = setup.graph.post(f"/{setup.ann.id}/media", media_type="CAROUSEL", children=one)
    assert alone.json()["error"]["error_subcode"] == 2207028
    mixed = setup.graph.post(f"/{setup.ann.id}/media", media_type="CAROUSEL",
                             children=f"{one},{plain}")
    assert mixed.json()["error"]["error_subcode"] == 2207028
    items = [_container(setup, image_url=images.add(f"k{i}.jpg", jpeg()),
                        is_carousel_item="true") for i in range(11)]
    eleven = setup.graph.post(f"/{setup.ann.id}/media", media_type="CAROUSEL",
                              children=",".join(items))
    assert eleven.json()["error"]["error_subcode"] == 2207028
    item_alone = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=one)
    assert item_alone.status_code == 400
    assert len(setup.peer.protocol_errors(clear=True)) == 4


def test_expired_containers_and_the_quota(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0, publish_quota=1)
    old = _container(setup, image_url=images.add("o.jpg", jpeg()))
    assert setup.peer.expire_containers() == 1
    assert setup.graph.get(f"/{old}", fields="status_code").json()["status_code"] == "EXPIRED"
    stale = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=old)
    assert stale.json()["error"]["error_subcode"] == 2207020
    first = _container(setup, image_url=images.add("f.jpg", jpeg()))
    assert setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=first).ok
    second = _container(setup, image_url=images.add("s.jpg", jpeg()))
    over = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=second)
    assert (over.json()["error"]["code"], over.json()["error"]["error_subcode"]) == \
        (9, 2207042)


def test_documented_parameter_rules(setup: Setup, images: Images) -> None:
    url = images.add("c.jpg", jpeg())
    long = setup.graph.post(f"/{setup.ann.id}/media", image_url=url, caption="x" * 2201)
    assert long.status_code == 400
    assert long.json()["error"]["message"].startswith("The submitted image's caption was 2201")
    tags = setup.graph.post(f"/{setup.ann.id}/media", image_url=url,
                            caption=" ".join(f"#t{i}" for i in range(31)))
    assert tags.status_code == 400
    mentions = setup.graph.post(f"/{setup.ann.id}/media", image_url=url,
                                caption=" ".join(f"@u{i}" for i in range(21)))
    assert mentions.json()["error"]["error_subcode"] == 2207040
    video = setup.graph.post(f"/{setup.ann.id}/media", media_type="VIDEO", video_url=url)
    assert video.json()["error"]["error_subcode"] == 2207023
    story_alt = setup.graph.post(f"/{setup.ann.id}/media", media_type="STORIES",
                                 image_url=url, alt_text="no")
    assert story_alt.status_code == 400
    other = setup.peer.create_user("bob")
    theirs = setup.graph.post(f"/{other.id}/media", image_url=url)
    assert theirs.json()["error"]["code"] == 100
    typo = setup.graph.post(f"/{setup.ann.id}/media", image_url=url, captoin="x")
    assert typo.status_code == 200
    rules = [e["rule"] for e in setup.peer.protocol_errors(clear=True)]
    assert len(rules) == 7
    assert rules[-1] == "parameter captoin is not one ig-user/media lists"


def test_publishing_needs_the_publish_permission(setup: Setup, images: Images) -> None:
    token = setup.peer.token_for(setup.ann, setup.app, ["instagram_business_basic"])
    answer = setup.graph.call("POST", f"/{setup.ann.id}/media", token,
                              data={"image_url": images.add("p.jpg", jpeg())})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == 10
    assert len(setup.peer.protocol_errors(clear=True)) == 1


def test_a_personal_account_cannot_publish(instagram_peer: InstagramPeer,
                                           images: Images) -> None:
    app = instagram_peer.create_app(CALLBACK)
    carl = instagram_peer.create_user("carl", account_type="PERSONAL")
    graph = Graph(instagram_peer, instagram_peer.token_for(carl, app))
    answer = graph.post(f"/{carl.id}/media", image_url=images.add("p.jpg", jpeg()))
    assert answer.status_code == 403
    assert "not an Instagram Business" in answer.json()["error"]["message"]
    assert images.hits == []


def test_polling_only_the_carousel_finishes_its_items_too(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=2)
    kids = [_container(setup, image_url=images.add(f"{i}.jpg", jpeg()), is_carousel_item="true")
            for i in range(2)]
    cid = _container(setup, media_type="CAROUSEL", children=",".join(kids))
    reads = []
    while True:
        state = setup.graph.get(f"/{cid}", fields="status_code").json()["status_code"]
        reads.append(state)
        if state != "IN_PROGRESS":
            break
    assert reads == ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
    assert setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid).ok


def test_a_slow_image_times_out_without_stalling_other_requests(setup: Setup,
                                                                images: Images) -> None:
    setup.peer.settings(fetch_timeout_seconds=0.5)
    url = images.add("slow.jpg", jpeg())
    images.held.add("slow.jpg")
    answers: list[requests.Response] = []
    worker = threading.Thread(target=lambda: answers.append(
        setup.graph.post(f"/{setup.ann.id}/media", image_url=url)))
    worker.start()
    assert images.arrived.wait(30)
    assert setup.graph.get("/me").status_code == 200  # answered while the fetch hangs
    worker.join(30)
    error = answers[0].json()["error"]
    assert (error["code"], error["error_subcode"]) == (-2, 2207003)
    assert setup.peer.containers() == []


def test_reference_parameter_limits(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    url = images.add("i.jpg", jpeg())
    alt = setup.graph.post(f"/{setup.ann.id}/media", image_url=url, alt_text="a" * 1001)
    assert alt.status_code == 400
    crowd = setup.graph.post(f"/{setup.ann.id}/media", image_url=url,
                             collaborators='["a","b","c","d"]')
    assert crowd.status_code == 400
    assert setup.graph.post(f"/{setup.ann.id}/media", image_url=url,
                            collaborators='["a","b","c"]').ok
    story = setup.graph.post(f"/{setup.ann.id}/media", media_type="STORIES",
                             image_url=images.add("tall.jpg", jpeg(540, 960)))
    status = setup.graph.get(f"/{story.json()['id']}", fields="status_code").json()
    assert status["status_code"] == "FINISHED"  # 9:16 is fine for a story
    clip = images.add("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64,
                      content_type="video/mp4")
    video_item = _container(setup, media_type="VIDEO", is_carousel_item="true", video_url=clip)
    photo_item = _container(setup, image_url=url, is_carousel_item="true")
    album = _container(setup, media_type="CAROUSEL", children=f"{video_item},{photo_item}")
    assert setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=album).ok
    assert len(setup.peer.protocol_errors(clear=True)) == 2


def test_a_reel_is_fetched_published_and_read_back_as_a_video(setup: Setup,
                                                              images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    clip = images.add("reel.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64,
                      content_type="video/mp4")
    with_alt = setup.graph.post(f"/{setup.ann.id}/media", media_type="REELS", video_url=clip,
                                alt_text="a clip")
    assert with_alt.status_code == 400  # alt_text is for image posts only
    assert len(setup.peer.protocol_errors(clear=True)) == 1
    cid = _container(setup, media_type="REELS", video_url=clip, caption="A #reel",
                     share_to_feed="true")
    assert images.hits[-1] == "reel.mp4"
    published = setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid)
    assert published.status_code == 200, published.text
    row = setup.graph.get(f"/{published.json()['id']}",
                          fields="media_type,media_product_type,caption").json()
    assert (row["media_type"], row["media_product_type"], row["caption"]) == (
        "VIDEO", "REELS", "A #reel")
    not_video = images.add("fake.mp4", b"just text, no ftyp box at all", content_type="video/mp4")
    bad = _container(setup, media_type="REELS", video_url=not_video)
    status = setup.graph.get(f"/{bad}", fields="status_code,status").json()
    assert status["status_code"] == "ERROR"
    assert "2207026" in status["status"]
