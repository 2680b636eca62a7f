"""What the composer says about each ticked account: its own text, warning, images or thread.

The compose form carries, per connection id N: custom_N (on), text_N, cw_N, media_N (the image
slots that go, 1-4), part_N (a thread: one field per part, in order), number_N (parts end in
"1/n") and vis_N (who sees it on a Mastodon account, whether or not its version is customised:
"" is the post's choice). These functions read that into values the templates show and the
services take (TargetCustom), and split a text that is too long for one network into a thread there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from regex import Match

from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for
from hubbub.core.ids import parse_ids
from hubbub.networks.base import Capabilities, Draft
from hubbub.networks.registry import get_connector
from hubbub.publishing.mentions import PERSON_MENTION, has_mentions, people_of, write
from hubbub.publishing.models import Visibility
from hubbub.publishing.outgoing import Quoted
from hubbub.publishing.post_options import VISIBILITY_NETWORKS
from hubbub.publishing.quote_link import as_sent
from hubbub.publishing.services import TargetCustom

SLOTS = range(1, 5)
MAX_PARTS = 25
CW_MAX = 1500


@dataclass(frozen=True)
class TargetEdit:
    """One account's version of the post, as the form shows it."""

    connection: Connection
    on: bool  # the person customised this account
    text: str
    content_warning: str
    media_slots: tuple[int, ...]  # the image slots (1-4) that go to this account
    parts: tuple[str, ...]  # a thread on this network (empty: one post)
    numbered: bool
    caps: Capabilities
    visibility: str = ""  # who sees it on this account (Mastodon); "": the post's choice

    @property
    def pk(self) -> int:
        return int(self.connection.pk)


def _getlist(data: Any, key: str) -> list[str]:
    getlist = getattr(data, "getlist", None)
    if getlist is not None:
        return [str(v) for v in getlist(key)]
    value = data.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _flag(data: Any, key: str) -> bool:
    return str(data.get(key, "")).strip() not in ("", "0", "off", "false")


def read_edits(
    data: Any, connections: Iterable[Connection], *, text: str, content_warning: str,
    present_slots: Sequence[int],
) -> dict[int, TargetEdit]:
    """Every account's version from the form's raw data. An account not customised gets the
    main text, warning and every image (what its panel shows when opened)."""
    edits = {}
    for connection in connections:
        n = connection.pk
        on = _flag(data, f"custom_{n}")
        parts = tuple(p.strip() for p in _getlist(data, f"part_{n}") if p.strip())[:MAX_PARTS]
        if on:
            chosen = set(parse_ids(_getlist(data, f"media_{n}")))
            slots = tuple(s for s in present_slots if s in chosen)
            own_text = str(data.get(f"text_{n}", text))
            own_cw = str(data.get(f"cw_{n}", content_warning))
        else:
            slots, own_text, own_cw, parts = tuple(present_slots), text, content_warning, ()
        edits[n] = TargetEdit(
            connection=connection, on=on, text=own_text.strip(), content_warning=own_cw.strip(),
            media_slots=slots, parts=parts, numbered=_flag(data, f"number_{n}"),
            caps=capabilities_for(connection), visibility=_visibility(data, connection),
        )
    return edits


def _visibility(data: Any, connection: Connection) -> str:
    """The account's own visibility, when it takes one and the value names one."""
    value = str(data.get(f"vis_{connection.pk}", "") or "").strip()
    if connection.network not in VISIBILITY_NETWORKS or value not in Visibility.values:
        return ""
    return value


def as_custom(edit: TargetEdit, *, text: str, content_warning: str,
              present_slots: Sequence[int]) -> TargetCustom | None:
    """What create_post and update_draft take for this account; None when it gets the post as
    it is (so a later edit of the main text still reaches it)."""
    if not edit.on:
        return TargetCustom(visibility=edit.visibility) if edit.visibility else None
    own_text = None if edit.text == text.strip() else edit.text
    own_cw = None if edit.content_warning == content_warning.strip() else edit.content_warning
    positions: tuple[int, ...] | None = tuple(
        present_slots.index(s) for s in edit.media_slots if s in present_slots)
    if positions == tuple(range(len(present_slots))):
        positions = None
    if own_text is None and own_cw is None and positions is None and not edit.parts:
        return TargetCustom(visibility=edit.visibility) if edit.visibility else None
    return TargetCustom(text=own_text, content_warning=own_cw, media_positions=positions,
                        parts=edit.parts, visibility=edit.visibility)


def customize_map(edits: Mapping[int, TargetEdit], ticked: Iterable[int], *, text: str,
                  content_warning: str, present_slots: Sequence[int]) -> dict[int, TargetCustom]:
    found = {}
    for pk in ticked:
        edit = edits.get(pk)
        if edit is None:
            continue
        custom = as_custom(edit, text=text, content_warning=content_warning,
                           present_slots=present_slots)
        if custom is not None:
            found[pk] = custom
    return found


def target_drafts(base: Draft, edit: TargetEdit | None,
                  present_slots: Sequence[int]) -> list[Draft]:
    """The drafts one account gets: one, or one per part (images with the first)."""
    if edit is None or not edit.on:
        return [base]
    media = tuple(base.media[present_slots.index(s)] for s in edit.media_slots
                  if s in present_slots and present_slots.index(s) < len(base.media))
    draft = replace(base, text=edit.text, content_warning=edit.content_warning, media=media)
    if not edit.parts:
        return [draft]
    return [replace(draft, text=part, media=media if i == 0 else ())
            for i, part in enumerate(edit.parts)]


# --- too long for one network: a thread there ----------------------------------------------------


class CannotSplit(Exception):
    """The text cannot be cut into parts that each fit (the message says why)."""


def counter_for(connection: Connection, content_warning: str) -> tuple[int, Callable[[str], int]]:
    """The account's limit, and a count of one part exactly as the network checks it: the
    connector's own validate (its counting rule, links and mentions, the warning every part
    carries). Where the network also limits bytes (Bluesky's 3000), the bytes are scaled to
    the same limit and the larger number counts: a part fits exactly when it fits both."""
    caps = capabilities_for(connection)
    connector = get_connector(connection.network)

    def count(part: str) -> int:
        result = connector.validate(Draft(text=part, content_warning=content_warning), caps)
        if result.byte_count is None or not result.byte_limit:
            return result.count
        return max(result.count, -(-result.byte_count * result.limit // result.byte_limit))

    return caps.text_limit, count


def split_for(connection: Connection, text: str, content_warning: str,
              numbered: bool, quote: Quoted | None = None) -> tuple[str, ...]:
    """The thread this account would post for `text`: sentence-aware parts within its limit.
    A person named with @[name] is never cut in two, and each part is measured as it is sent
    (her account as this network writes it: Bluesky @handle, Nostr nostr:npub1...); the parts
    keep @[name] as typed, written again where they are checked and sent. A quote (`quote`,
    the post the thread's first part quotes) on a server that cannot show one has the quoted
    post's link after the first part's words (quote_link.as_sent): the first part is measured
    with it, the others with the whole limit."""
    from hubbub.core.splitting import split_for_limit  # the counting/splitting side's module

    limit, sent_count = counter_for(connection, content_warning)
    if not text.strip():
        raise CannotSplit("There is nothing to split yet.")
    folded, typed = _hold_mentions(text)
    written: Callable[[str], str] = str
    if typed:
        people = people_of(connection.user_id)

        def written(part: str) -> str:
            return write(_unhold(part, typed), connection, people).text

    def count(part: str) -> int:
        return sent_count(written(part))

    first_count = count
    linked = _with_link(connection, content_warning, quote)
    if linked is not None:

        def first_count(part: str) -> int:
            return sent_count(linked(written(part)))

    try:
        parts = split_for_limit(folded, limit, count, numbering=numbered,
                                first_count=first_count)
    except ValueError as exc:
        if linked is not None and first_count("") > limit - _LABEL_ROOM:
            # Not the words: the quoted post's link leaves the first part no room.
            raise CannotSplit(
                f"The quoted post's link, which {connection.handle} gets after the first "
                f"part's words, leaves no room for them within {limit}.") from None
        raise CannotSplit(str(exc)) from None
    parts = [p for p in parts if p.strip()]
    if len(parts) > MAX_PARTS:
        raise CannotSplit(f"That would be {len(parts)} posts; at most {MAX_PARTS} in one thread.")
    too_long = [i for i, p in enumerate(parts, start=1)
                if (first_count if i == 1 else count)(p) > limit]
    if too_long:
        raise CannotSplit(f"Part {too_long[0]} cannot be made to fit {connection.handle}.")
    return tuple(_unhold(p, typed) for p in parts)


# What a first part needs besides the link, at the least: a word's first character and " 1/n".
_LABEL_ROOM = 8


def _with_link(connection: Connection, content_warning: str,
               quote: Quoted | None) -> Callable[[str], str] | None:
    """The words of a quote's first part as its server gets them, the quoted post's link
    after them where it cannot show a quote; None where nothing is added."""
    if quote is None:
        return None
    caps = capabilities_for(connection)
    if not caps.quote_as_link:
        return None

    def linked(words: str) -> str:
        draft = Draft(text=words, content_warning=content_warning, quote=quote.remote_id,
                      quote_url=quote.url)
        return as_sent(draft, caps).text

    return linked


# Each @[name] stands as one private-use character while a text is split: one character is
# never cut, and has no space or punctuation to cut at.
_HELD = range(0xE000, 0xF900)


def _hold_mentions(text: str) -> tuple[str, dict[str, str]]:
    """`text` with each @[name] replaced by a private-use character the text does not use,
    and what each stands for ({} when it names nobody, or uses them all)."""
    if not has_mentions(text):
        return text, {}
    free = (chr(c) for c in _HELD if chr(c) not in text)
    typed: dict[str, str] = {}

    def one(match: Match[str]) -> str:
        mark = next(free, None)
        if mark is None:
            return match.group(0)
        typed[mark] = match.group(0)
        return mark

    return PERSON_MENTION.sub(one, text), typed


def _unhold(part: str, typed: Mapping[str, str]) -> str:
    if not typed:
        return part
    return "".join(typed.get(c, c) for c in part)


def with_split(edit: TargetEdit, parts: tuple[str, ...]) -> TargetEdit:
    return replace(edit, on=True, parts=parts)


def without_split(edit: TargetEdit) -> TargetEdit:
    return replace(edit, parts=())
