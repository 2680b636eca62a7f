"""Images API (initialize, PUT the bytes, PROCESSING -> AVAILABLE, attach to a post),
organization roles and lookup, and comments."""

from __future__ import annotations

import requests

from tests.peers.linkedin.conftest import ALL_SCOPES, Client, client_for
from tests.peers.linkedin.peer import LinkedInPeer, encoded

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _initialize(client: Client, owner: str | None = None) -> requests.Response:
    return client.call("POST", "/rest/images?action=initializeUpload",
                       json={"initializeUploadRequest": {"owner": owner or client.member.urn}})


def _upload(client: Client, data: bytes = PNG, owner: str | None = None) -> str:
    value = _initialize(client, owner).json()["value"]
    put = requests.put(value["uploadUrl"], data=data, timeout=10,
                       headers={"Authorization": f"Bearer {client.token}"})
    assert put.status_code == 201, put.text
    return str(value["image"])


def test_an_image_goes_from_processing_to_available_and_into_a_post(client: Client) -> None:
    init = _initialize(client)
    assert init.status_code == 200, init.text
    value = init.json()["value"]
    assert value["image"].startswith("urn:li:image:")
    assert value["uploadUrl"].startswith(client.peer.base_url + "/dms-uploads/")
    path = f"/rest/images/{encoded(value['image'])}"
    assert client.call("GET", path).json()["status"] == "WAITING_UPLOAD"
    unauthenticated = requests.put(value["uploadUrl"], data=PNG, timeout=10)
    assert unauthenticated.status_code == 401
    put = requests.put(value["uploadUrl"], data=PNG, timeout=10,
                       headers={"Authorization": f"Bearer {client.token}"})
    assert put.status_code == 201
    early = client.post("too soon", content={"media": {"id": value["image"]}})
    assert early.status_code == 422
    assert client.call("GET", path).json()["status"] == "PROCESSING"
    ready = client.call("GET", path).json()
    assert ready["status"] == "AVAILABLE"
    assert requests.get(ready["downloadUrl"], timeout=10).content == PNG
    made = client.post("With a picture", content={"media": {"id": value["image"],
                                                             "altText": "a dot"}})
    assert made.status_code == 201, made.text
    got = client.get_post(made.headers["x-restli-id"]).json()
    assert got["content"] == {"media": {"id": value["image"], "altText": "a dot"}}
    assert client.peer.images()[0]["size"] == len(PNG)


def test_bytes_that_are_not_an_image_fail_processing(client: Client) -> None:
    client.peer.settings(processing_polls=0)
    urn = _upload(client, b"%PDF-1.4 not a picture")
    assert client.call("GET", f"/rest/images/{encoded(urn)}").json()["status"] == \
        "PROCESSING_FAILED"


def test_an_image_of_someone_else_cannot_be_attached(li_peer: LinkedInPeer) -> None:
    li_peer.settings(processing_polls=0)
    ann = client_for(li_peer, li_peer.create_member("Ann"), ALL_SCOPES)
    bob = client_for(li_peer, li_peer.create_member("Bob"), ALL_SCOPES)
    urn = _upload(ann)
    ann.call("GET", f"/rest/images/{encoded(urn)}")
    assert bob.post("stolen", content={"media": {"id": urn}}).status_code == 400
    assert _initialize(bob, ann.member.urn).status_code == 403


def test_an_organization_uploads_and_posts_an_image(li_peer: LinkedInPeer) -> None:
    li_peer.settings(processing_polls=0)
    ann = li_peer.create_member()
    org = li_peer.create_organization("Acme", [ann])
    client = client_for(li_peer, ann, ALL_SCOPES)
    urn = _upload(client, owner=org.urn)
    client.call("GET", f"/rest/images/{encoded(urn)}")
    made = client.post("Page picture", author=org.urn, content={"media": {"id": urn}})
    assert made.status_code == 201, made.text


def test_a_wrong_action_is_recorded(client: Client) -> None:
    answer = client.call("POST", "/rest/images?action=upload",
                         json={"initializeUploadRequest": {"owner": client.member.urn}})
    assert answer.status_code == 400
    assert len(client.peer.protocol_errors(clear=True)) == 1


def test_organization_acls_list_the_pages_a_member_administers(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    acme = li_peer.create_organization("Acme Corp", [ann])
    li_peer.create_organization("Beta", [ann], role="ANALYST")
    li_peer.create_organization("Other", [])
    client = client_for(li_peer, ann, ALL_SCOPES)
    answer = client.call("GET", "/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR"
                         "&state=APPROVED")
    assert answer.status_code == 200, answer.text
    elements = answer.json()["elements"]
    assert elements == [{"roleAssignee": ann.urn, "state": "APPROVED", "role": "ADMINISTRATOR",
                         "organization": acme.urn}]
    every = client.call("GET", "/rest/organizationAcls?q=roleAssignee").json()
    assert every["paging"]["total"] == 2
    decorated = client.call(
        "GET", "/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR"
               "&projection=(elements*(*,organization~(localizedName)))").json()
    assert decorated["elements"][0]["organization~"]["localizedName"] == "Acme Corp"
    org = client.call("GET", f"/rest/organizations/{acme.id}").json()
    assert org["localizedName"] == "Acme Corp"
    assert org["id"] == acme.id
    batch = client.call("GET", f"/rest/organizations?ids=List({acme.id},999)").json()
    assert batch["results"][str(acme.id)]["vanityName"] == acme.vanity
    assert batch["statuses"]["999"] == 404


def test_organization_acls_need_an_organization_scope(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    client = client_for(li_peer, ann, ["openid", "profile", "w_member_social"])
    answer = client.call("GET", "/rest/organizationAcls?q=roleAssignee")
    assert answer.status_code == 403


def test_comments_are_plain_text_and_replies_name_their_parent(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member("Ann")
    bob = li_peer.create_member("Bob")
    client = client_for(li_peer, ann, ALL_SCOPES)
    urn = client.post("Comment on me").headers["x-restli-id"]
    theirs = li_peer.comment_as(bob, urn, "Nice (really) #1")
    path = f"/rest/socialActions/{encoded(urn)}/comments"
    listed = client.call("GET", path)
    assert listed.status_code == 200, listed.text
    elements = listed.json()["elements"]
    assert [e["message"]["text"] for e in elements] == ["Nice (really) #1"]
    assert elements[0]["actor"] == bob.urn
    reply = client.call("POST", path, json={
        "actor": ann.urn, "object": urn, "message": {"text": "Thanks (Bob)"},
        "parentComment": theirs["commentUrn"]})
    assert reply.status_code == 201, reply.text
    assert reply.json()["parentComment"] == theirs["commentUrn"]
    assert [c["message"]["text"] for c in li_peer.comments(urn)] == [
        "Nice (really) #1", "Thanks (Bob)"]
    paged = client.call("GET", path + "?start=1&count=1").json()
    assert paged["paging"]["total"] == 2
    assert paged["elements"][0]["actor"] == ann.urn


def test_a_comment_as_someone_else_or_on_a_missing_post_is_refused(
        li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member("Ann")
    bob = li_peer.create_member("Bob")
    client = client_for(li_peer, ann, ALL_SCOPES)
    urn = client.post("Comment on me").headers["x-restli-id"]
    path = f"/rest/socialActions/{encoded(urn)}/comments"
    forged = client.call("POST", path, json={"actor": bob.urn, "object": urn,
                                             "message": {"text": "hi"}})
    assert forged.status_code == 403
    missing = client.call("POST", f"/rest/socialActions/{encoded('urn:li:share:1')}/comments",
                          json={"actor": ann.urn, "object": "urn:li:share:1",
                                "message": {"text": "hi"}})
    assert missing.status_code == 404
    assert li_peer.comments() == []
