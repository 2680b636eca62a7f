"""networks/meta/reading.py: a list edge's page and the answers to the latest posts, read the
same way for Facebook, Instagram and Threads (a fake client answers from a dict of paths)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hubbub.networks.base import Item
from hubbub.networks.errors import NotFound
from hubbub.networks.meta.reading import answers_to_latest, entry_id, list_page


class FakeGraph:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, dict[str, Any], str]] = []

    def get(self, path: str, params: dict[str, Any] | None = None, *,
            what: str = "") -> dict[str, Any]:
        self.asked.append((path, dict(params or {}), what))
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        return answer


def item(entry: Any) -> Item:
    return Item(remote_id=entry["id"], kind="post", author_handle="a", author_name="a",
                created_at=datetime(2026, 1, entry["day"], tzinfo=UTC), text="")


def test_list_page_asks_with_the_cursor_and_returns_the_next_one() -> None:
    g = FakeGraph({"1/posts": {"data": [{"id": "p1", "day": 2}, {"broken": True}],
                               "paging": {"next": "x", "cursors": {"after": "C2"}}}})
    page = list_page(g, "1/posts", fields="id,message", limit=25, cursor="C1",  # type: ignore[arg-type]
                     what="read the posts", mapper=item, network="test")
    assert g.asked == [("1/posts", {"fields": "id,message", "limit": 25, "after": "C1"},
                        "read the posts")]
    assert [i.remote_id for i in page.items] == ["p1"]  # the unreadable entry is skipped
    assert page.next_cursor == "C2"


def test_list_page_without_a_cursor_asks_the_first_page_and_ends() -> None:
    g = FakeGraph({"1/posts": {"data": []}})
    page = list_page(g, "1/posts", fields="id", limit=5, cursor=None,  # type: ignore[arg-type]
                     what="read", mapper=item, network="test")
    assert g.asked[0][1] == {"fields": "id", "limit": 5}
    assert page.items == ()
    assert page.next_cursor is None


def test_answers_to_latest_reads_each_post_newest_first_and_passes_over_gone_ones() -> None:
    g = FakeGraph({
        "1/posts": {"data": [{"id": "a"}, {"id": ""}, "b", {"id": "gone"}, {"id": "c"}]},
        "a/comments": {"data": [{"id": "a1", "day": 3}, {"id": "a2", "day": 9}]},
        "gone/comments": NotFound("deleted"),
        "c/comments": {"data": [{"id": "c1", "day": 5}]},
    })

    def answers(post_id: str, post: Any) -> list[Item]:
        assert post == {"id": post_id}
        return [item(e) for e in g.get(f"{post_id}/comments")["data"]]

    page = answers_to_latest(g, "1/posts", fields="id", most=3,  # type: ignore[arg-type]
                             what="read the posts", answers=answers)
    assert g.asked[0] == ("1/posts", {"fields": "id", "limit": 3}, "read the posts")
    assert [i.remote_id for i in page.items] == ["a2", "c1", "a1"]
    assert page.next_cursor is None


def test_answers_to_latest_takes_the_networks_id_reading() -> None:
    g = FakeGraph({"1/threads": {"data": ["b"]}, "b/replies": {"data": [{"id": "b1", "day": 1}]}})
    page = answers_to_latest(  # type: ignore[arg-type]
        g, "1/threads", fields="id", most=3, what="read", id_of=lambda e: e,
        answers=lambda post_id, _: [item(e) for e in g.get(f"{post_id}/replies")["data"]])
    assert [i.remote_id for i in page.items] == ["b1"]


def test_entry_id() -> None:
    assert entry_id({"id": "x"}) == "x"
    assert entry_id("x") is None


def test_oldest_first_by_the_networks_time_field_unreadable_times_last() -> None:
    from hubbub.networks.meta.fields import oldest_first

    entries = [{"id": "late", "timestamp": "2026-01-05T10:00:00+0000"},
               {"id": "none"},
               {"id": "early", "timestamp": "2026-01-04T10:00:00+0000"}]
    assert [e["id"] for e in oldest_first(entries, "timestamp")] == ["early", "late", "none"]


def test_opening_post_is_read_and_mapped_or_transient() -> None:
    import pytest

    from hubbub.networks.errors import Transient
    from hubbub.networks.meta.reading import opening_post

    g = FakeGraph({"p1": {"id": "p1", "day": 4}, "bad": {"id": "bad"}})
    g.network = "Facebook"  # type: ignore[attr-defined]
    top = opening_post(g, "p1", fields="id,message", mapper=item,  # type: ignore[arg-type]
                       network="facebook")
    assert top.remote_id == "p1"
    assert g.asked == [("p1", {"fields": "id,message"}, "read the post")]
    with pytest.raises(Transient) as caught:
        opening_post(g, "bad", fields="id", mapper=item, network="facebook")  # type: ignore[arg-type]
    assert caught.value.message == "Facebook answered the post without an id or a time"
