"""The composer's live parts, from the form's raw data: each account's counter (and each part
of a thread), each network's preview, each account's Customize panel, and the steps a panel
takes (split, back to one post, reset). Used by the composer's page and its htmx answers, and
by the edit page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections, capabilities_for
from hubbub.core.ids import parse_id
from hubbub.networks.base import Draft, Problem, Validation
from hubbub.networks.image_fit import fit_description
from hubbub.networks.registry import get_connector
from hubbub.publishing import customize, target_drafts
from hubbub.publishing.customize import CannotSplit, TargetEdit
from hubbub.publishing.forms import draft_from_data, present_slots_in
from hubbub.publishing.mentions import has_mentions, people_of, write_drafts
from hubbub.publishing.outgoing import Quoted
from hubbub.publishing.preview import PreviewImage, TargetPreview, preview, video_label
from hubbub.publishing.quote_link import link_cost
from hubbub.publishing.slots import SLOTS
from hubbub.publishing.stash import TOKEN

STEPS = ("split", "unsplit", "reset")


@dataclass(frozen=True)
class PartCount:
    number: int
    result: Validation
    over: int


@dataclass(frozen=True)
class CounterRow:
    connection: Connection
    result: Validation
    over: int
    problems: list[Problem]
    parts: list[PartCount]  # a thread: each part's count
    can_split: bool  # too long here, and the network has threads
    numbered: bool
    customized: bool
    media_note: str = ""  # "Sent without the picture: ..." (also in the preview)
    quote_note: str = ""  # the quoted post's link counted in, where the server cannot quote


@dataclass(frozen=True)
class PanelImage:
    slot: int
    url: str
    present: bool
    chosen: bool
    video: str = ""  # a video's description; "" for a picture


@dataclass(frozen=True)
class Panel:
    """One account's "Customize" panel."""

    edit: TargetEdit
    images: list[PanelImage]
    notice: str
    ticked: bool


# --- reading the form ----------------------------------------------------------------------------


def slot_urls(data: Any) -> dict[int, str]:
    """Where each held image can be seen, from its token alone (the image views check whose
    it is)."""
    urls = {}
    for i in SLOTS:
        token = str(data.get(f"keep_{i}", "") or "")
        if data.get(f"drop_{i}"):
            continue
        if token.startswith("m") and (media := parse_id(token[1:])) is not None:
            urls[i] = reverse("publishing:media", args=[media])
        elif TOKEN.match(token):
            urls[i] = reverse("publishing:stash_preview", args=[token])
    return urls


def slot_videos(data: Any) -> dict[int, str]:
    """The slots holding a video, with their description."""
    found = {}
    for i in SLOTS:
        label = video_label(str(data.get(f"meta_{i}", "") or ""))
        if label and not data.get(f"drop_{i}"):
            found[i] = label
    return found


def edits_from(data: Any, connections: Iterable[Connection], present: Sequence[int]
               ) -> dict[int, TargetEdit]:
    return customize.read_edits(
        data, connections, text=str(data.get("text", "") or ""),
        content_warning=str(data.get("content_warning", "") or ""), present_slots=present)


def counter_rows(user: User, ids: Iterable[int], base: Draft,
                 edits: Mapping[int, TargetEdit], present: Sequence[int],
                 quote: Mapping[int, Quoted] | None = None) -> list[CounterRow]:
    """Each ticked account's version checked against its own rules, for the counters; the
    account in `quote` as the quote it sends (counted with the quoted post's link where its
    server cannot quote)."""
    targets = list(
        active_connections(user).filter(pk__in=list(ids)).order_by("network", "handle"))
    rows = []
    people = people_of(user.pk) if _names_people(base, edits) else {}
    for connection in targets:
        edit = edits.get(connection.pk)
        # Counted as sent: a person named with @[name] written as their account here.
        drafts_for = with_quote(write_drafts(customize.target_drafts(base, edit, present),
                                             connection, people)[0], (quote or {}).get(
                                                 connection.pk))
        results = [target_drafts.validate_for_targets(d, [connection])[connection.pk]
                   for d in drafts_for]
        parts = []
        problems: list[Problem] = []
        thread = len(results) > 1
        for n, result in enumerate(results, start=1):
            over = max(0, result.count - result.limit)
            parts.append(PartCount(n, result, over))
            for p in result.problems:
                # One post: "N over" says it already. A thread: each part says which it is.
                if over and not thread and p.code == "too_long" and "bytes" not in p.message:
                    continue
                problems.append(Problem(p.code, f"Part {n}: {p.message}" if thread
                                        else p.message))
        first = results[0]
        over = max(part.over for part in parts)
        too_long = any(p.code == "too_long" for r in results for p in r.problems)
        caps = edit.caps if edit else None
        own_caps = caps or capabilities_for(connection)
        note = target_drafts.left_out_note(drafts_for[0].media, own_caps, connection.network)
        cost = link_cost(get_connector(connection.network), drafts_for[0], own_caps)
        rows.append(CounterRow(
            connection=connection, result=first, over=over, problems=problems,
            parts=parts if len(results) > 1 else [],
            can_split=bool(caps and caps.threads and too_long and len(results) == 1),
            numbered=bool(edit and edit.numbered),
            customized=bool(edit and edit.on),
            media_note=note,
            quote_note=cost.counter_note(thread=thread) if cost is not None else "",
        ))
    return rows


def with_quote(drafts: list[Draft], quoted: Quoted | None) -> list[Draft]:
    """The drafts of an account that quotes: the quote goes with the first part."""
    if quoted is None or not drafts:
        return drafts
    return [replace(drafts[0], quote=quoted.remote_id, quote_url=quoted.url), *drafts[1:]]


def _names_people(base: Draft, edits: Mapping[int, TargetEdit]) -> bool:
    return has_mentions(base.text) or any(
        has_mentions(e.text) or any(has_mentions(p) for p in e.parts) for e in edits.values())


def previews_for(rows: Sequence[CounterRow], base: Draft, edits: Mapping[int, TargetEdit],
                 present: Sequence[int], urls: Mapping[int, str],
                 videos: Mapping[int, str],
                 quote: Mapping[int, Quoted] | None = None) -> list[TargetPreview]:
    found = []
    people = people_of(rows[0].connection.user_id) if rows and _names_people(base, edits) \
        else {}
    files = {slot: base.media[i] for i, slot in enumerate(present) if i < len(base.media)}
    for row in rows:
        edit = edits.get(row.connection.pk)
        if edit is None:
            continue
        drafts_for, named = write_drafts(customize.target_drafts(base, edit, present),
                                         row.connection, people)
        drafts_for = with_quote(drafts_for, (quote or {}).get(row.connection.pk))
        slots = edit.media_slots if edit.on else tuple(present)
        known = [s for s in slots if s in files]
        own = [files[s] for s in known]
        # What it cannot carry is left out and said; each picture's size is the fitter's plan.
        shown = {known[i] for i in target_drafts.carried(own, edit.caps)}
        if edit.caps.media.max_count > 0:
            shown |= {s for s in slots if s not in files}  # not described: shown as before
        note = target_drafts.left_out_note(own, edit.caps, row.connection.network)
        limits = get_connector(row.connection.network).image_fit(edit.caps)
        images = [PreviewImage("" if s in videos else urls.get(s, ""),
                               files[s].alt_text if s in files else "", s, videos.get(s, ""),
                               fit_description(files[s], limits) if s in files else "")
                  for s in slots if s in shown]
        found.append(preview(row.connection, edit.caps, drafts_for, images, note,
                             mention_notes=named))
    return found


def panels_for(connections: Sequence[Connection], edits: Mapping[int, TargetEdit],
               present: Sequence[int], urls: Mapping[int, str], ticked: set[int],
               notices: Mapping[int, str], videos: Mapping[int, str]) -> list[Panel]:
    panels = []
    for connection in connections:
        edit = edits.get(connection.pk)
        if edit is None:
            continue
        images = [PanelImage(i, "" if i in videos else urls.get(i, ""), i in present,
                             i in edit.media_slots, videos.get(i, "")) for i in SLOTS]
        panels.append(Panel(edit, images, notices.get(connection.pk, ""),
                            connection.pk in ticked))
    return panels


def apply_step(op: str, edit: TargetEdit, data: Any,
               quote: Quoted | None = None) -> tuple[TargetEdit, str]:
    """Split, unsplit or reset one account's version. Returns it and a notice (why a split
    could not be made). `quote`: the post this account quotes, which goes with the thread's
    first part (with its link after the words, where the server cannot quote)."""
    if op == "split":
        try:
            parts = customize.split_for(edit.connection, edit.text, edit.content_warning,
                                        edit.numbered, quote)
        except CannotSplit as exc:
            return edit, str(exc)
        return customize.with_split(edit, parts), ""
    if op == "unsplit":
        return customize.without_split(edit), ""
    main_text = str(data.get("text", "") or "").strip()
    main_cw = str(data.get("content_warning", "") or "").strip()
    present = present_slots_in(data)
    return replace(edit, on=False, text=main_text, content_warning=main_cw,
                   media_slots=tuple(present), parts=()), ""


def parse_step(action: str) -> tuple[str, int] | None:
    op, _, pk = action.partition(":")
    number = parse_id(pk)
    return (op, number) if op in STEPS and number is not None else None


def live_parts(user: User, data: Any, connections: Sequence[Connection],
               in_reply_to: str = "", quote: Mapping[int, Quoted] | None = None
               ) -> dict[str, Any]:
    """Counters and previews for the form's raw data (the composer's, or the edit page's);
    `in_reply_to`: the network's id of the post a reply answers (checked as a reply);
    `quote`: the account that quotes -> the post it quotes."""
    present = present_slots_in(data)
    edits = edits_from(data, connections, present)
    base = replace(draft_from_data(data), in_reply_to=in_reply_to)
    rows = counter_rows(user, [c.pk for c in connections], base, edits, present, quote)
    return {"rows": rows, "previews": previews_for(rows, base, edits, present, slot_urls(data),
                                                   slot_videos(data), quote)}
