"""networks/conversation.arrange and replies_below: reading order, bounded depth, and threads
that are not trees (a missing parent, a loop, an id twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hubbub.networks.base import Item
from hubbub.networks.conversation import MAX_DEPTH, arrange, replies_below

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _item(remote_id: str, parent: str = "", minute: int = 0) -> Item:
    extra = {"in_reply_to": parent} if parent else {}
    return Item(remote_id, "reply" if parent else "post", "@a", "A",
                T0 + timedelta(minutes=minute), text=remote_id, extra=extra)


def test_replies_follow_their_parent_oldest_first() -> None:
    items = [_item("late", "root", 5), _item("root"), _item("early", "root", 1),
             _item("under-early", "early", 9)]
    assert [(p.item.remote_id, p.depth, p.focus) for p in arrange(items, "early")] == [
        ("root", 0, False), ("early", 1, True), ("under-early", 2, False), ("late", 1, False)]
    assert [i.remote_id for i in replies_below(items, "root")] == ["early", "late",
                                                                    "under-early"]


def test_depth_is_bounded() -> None:
    chain = [_item("0")] + [_item(str(n), str(n - 1), n) for n in range(1, 20)]
    depths = [p.depth for p in arrange(chain)]
    assert depths == [min(n, MAX_DEPTH) for n in range(20)]


def test_a_missing_parent_a_loop_and_a_repeated_id_still_show_each_post_once() -> None:
    items = [_item("orphan", "gone", 3), _item("a", "b", 1), _item("b", "a", 2),
             _item("root"), _item("root", "", 7)]
    placed = arrange(items)
    assert sorted(p.item.remote_id for p in placed) == ["a", "b", "orphan", "root"]
    assert placed[0].item.remote_id == "root"
    assert replies_below(items, "a") == [items[2]]
