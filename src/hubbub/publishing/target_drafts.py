"""What each target of a post gets and whether it fits: the draft one delivery sends (with the
person's own version for that account, split into a thread's parts, each with its own
idempotency key), the attachments an account can carry at all (and the note saying what goes
without), and the checks of a draft against every target's own rules. No writes here:
services.py makes and changes posts with these, the engine sends what `part_drafts` gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for
from hubbub.core.counting import post_size_problem
from hubbub.networks.base import Capabilities, Draft, MediaFile, Problem, Validation
from hubbub.networks.registry import get_connector
from hubbub.publishing import quote_link
from hubbub.publishing.media import media_file
from hubbub.publishing.mentions import Known, has_mentions, people_of, write_drafts
from hubbub.publishing.models import Delivery, Post
from hubbub.publishing.outgoing import Quoted, TargetCustom


def draft_of(post: Post, delivery: Delivery | None = None) -> Draft:
    """What goes to one target: the post, with that target's own text, content warning and
    media when the person customised them."""
    stored = list(post.media.all())
    text = post.text
    content_warning = post.content_warning
    in_reply_to = quote = quote_url = ""
    visibility = post.visibility
    if delivery is not None:
        visibility = delivery.visibility_override or visibility
        if delivery.text_override is not None:
            text = delivery.text_override
        if delivery.content_warning_override is not None:
            content_warning = delivery.content_warning_override
        if delivery.media_override is not None:
            by_id = {m.pk: m for m in stored}
            stored = [by_id[pk] for pk in delivery.media_override if pk in by_id]
        in_reply_to = delivery.in_reply_to
        quote, quote_url = delivery.quote_of, delivery.quote_url
    return Draft(text=text, content_warning=content_warning,
                 media=tuple(media_file(m) for m in stored), in_reply_to=in_reply_to,
                 visibility=visibility, language=post.language, quote=quote,
                 quote_url=quote_url)


def part_drafts(post: Post, delivery: Delivery) -> list[Draft]:
    """The drafts a delivery sends, in order: one, or one per part of a thread. Media and the
    quote go with the first part; every part carries the content warning. Replies are chained
    by the engine. A person named with @[name] is written as their account on the delivery's
    network; once the engine froze that writing (`delivery.written`, at the first attempt),
    its words are used, whatever the person's accounts are by then."""
    whole = draft_of(post, delivery)
    drafts = [whole] if not delivery.parts else [
        Draft(text=text, content_warning=whole.content_warning,
              media=whole.media if i == 0 else (), in_reply_to=whole.in_reply_to if i == 0 else "",
              visibility=whole.visibility, language=whole.language,
              quote=whole.quote if i == 0 else "", quote_url=whole.quote_url if i == 0 else "")
        for i, text in enumerate(delivery.parts)
    ]
    frozen = delivery.written
    if isinstance(frozen, list) and len(frozen) == len(drafts) and all(
            isinstance(text, str) for text in frozen):
        return [replace(d, text=text) for d, text in zip(drafts, frozen, strict=True)]
    return write_drafts(drafts, delivery.connection)[0]


def frozen_part_drafts(delivery: Delivery) -> list[Draft]:
    """`part_drafts`, with what @[name] was written as saved on the delivery the first time
    (before anything is sent), so every later attempt and check agrees with the first. A
    delivery naming nobody is not written to: its text cannot change under it."""
    drafts = part_drafts(delivery.post, delivery)
    if delivery.written is None and any(has_mentions(t) for t in _raw_texts(delivery)):
        written = [d.text for d in drafts]
        if Delivery.objects.filter(pk=delivery.pk, written__isnull=True).update(written=written):
            delivery.written = written
        else:  # another attempt (one whose lease outlived ours) froze its words first: those
            delivery.written = Delivery.objects.values_list("written", flat=True).get(
                pk=delivery.pk)
            drafts = part_drafts(delivery.post, delivery)
    return drafts


def _raw_texts(delivery: Delivery) -> list[str]:
    if delivery.parts:
        return [str(t) for t in delivery.parts]
    post = delivery.post
    return [post.text if delivery.text_override is None else delivery.text_override]


def part_key(delivery: Delivery, index: int) -> str:
    """Each part of a thread is its own publish, with its own idempotency key."""
    return delivery.idempotency_key if index == 0 else f"{delivery.idempotency_key}-{index}"


def carried(media: Sequence[MediaFile], caps: Capabilities) -> tuple[int, ...]:
    """The positions of the attachments an account can carry at all: none where its network
    takes no media from it (max_count 0, e.g. Nostr without a media server), no video where it
    takes none. The post is not blocked for the rest: they go without them (`left_out_note`).
    Pictures too big are no reason: they are fitted (networks/image_fit.py)."""
    if caps.media.max_count <= 0:
        return ()
    return tuple(i for i, m in enumerate(media) if not (m.is_video and caps.media.video is None))


def left_out_note(media: Sequence[MediaFile], caps: Capabilities, network: str) -> str:
    """What the account's preview says of the attachments it goes without, or ""."""
    kept = set(carried(media, caps))
    dropped = [m for i, m in enumerate(media) if i not in kept]
    if not dropped:
        return ""
    videos = sum(m.is_video for m in dropped)
    pictures = len(dropped) - videos
    what = " and ".join(filter(None, (
        {0: "", 1: "the picture"}.get(pictures, f"the {pictures} pictures"),
        {0: "", 1: "the video"}.get(videos, f"the {videos} videos"))))
    connector = get_connector(network)
    if caps.media.max_count <= 0:
        why = connector.no_media_reason or (
            f"this {connector.name} account cannot carry pictures or videos")
    else:
        why = f"{connector.name} takes no video from the hub"
    return f"Sent without {what}: {why}."


def _carried_draft(draft: Draft, caps: Capabilities) -> Draft:
    kept = carried(draft.media, caps)
    if len(kept) == len(draft.media):
        return draft
    return replace(draft, media=tuple(draft.media[i] for i in kept))


def validate_for_targets(
    draft: Draft, connections: Iterable[Connection],
    alt_optional: dict[int, bool] | None = None,
) -> dict[int, Validation]:
    """Count and check one draft against each target's own rules (no I/O but cached limits).
    A missing alt text is a problem unless the account's owner turned that rule off (read
    once a user; `alt_optional` carries what was read between calls, by user id).
    Attachments the account cannot carry at all are left out first (`carried`): they are sent
    without, which is said in its preview, rather than refused. A quote where the server
    cannot show one is counted with the quoted post's link it goes with (quote_link.py)."""
    results: dict[int, Validation] = {}
    alt_optional = {} if alt_optional is None else alt_optional
    oversized = post_size_problem(draft.text, draft.content_warning)
    for connection in connections:
        if oversized:  # refused before any network's count reads it
            limit = capabilities_for(connection).text_limit
            size = len(draft.text) + len(draft.content_warning)
            results[connection.pk] = Validation(size, limit, (Problem("over_cap", oversized),))
            continue
        connector = get_connector(connection.network)
        caps = capabilities_for(connection)
        own = _carried_draft(draft, caps)
        # Counted as sent: a quote on a server that cannot quote has its link in the text.
        result = connector.validate(quote_link.as_sent(own, caps), caps)
        cost = quote_link.link_cost(connector, own, caps)
        if cost is not None:
            result = replace(result, problems=tuple(cost.explain(p) for p in result.problems))
        if own is not draft and not own.text.strip() and not own.media and not any(
                p.code == "empty" for p in result.problems):
            result = replace(result, problems=(*result.problems, Problem(
                "empty", "Nothing is left to send here without the attachments: write "
                "something for this account, or leave it out")))
        if connection.user_id not in alt_optional:
            alt_optional[connection.user_id] = Profile.objects.filter(
                user_id=connection.user_id, require_alt_text=False).exists()
        if alt_optional[connection.user_id]:
            result = replace(result, problems=tuple(
                p for p in result.problems if p.code != "alt_missing"))
        results[connection.pk] = result
    return results


def _target_drafts(base: Draft, custom: TargetCustom | None) -> list[Draft]:
    if custom is None:
        return [base]
    media = base.media
    if custom.media_positions is not None:
        media = tuple(base.media[i] for i in custom.media_positions if 0 <= i < len(base.media))
    draft = replace(
        base,
        text=base.text if custom.text is None else custom.text,
        content_warning=base.content_warning if custom.content_warning is None
        else custom.content_warning,
        media=media,
    )
    if not custom.parts:
        return [draft]
    return [replace(draft, text=part, media=media if i == 0 else ())
            for i, part in enumerate(custom.parts)]


def check_targets(
    base: Draft, connections: Sequence[Connection],
    customize: Mapping[int, TargetCustom] | None = None,
    reply_to: Mapping[int, str] | None = None,
    quote: Mapping[int, Quoted] | None = None,
) -> list[str]:
    """Every problem of every target (each with its own text/thread), as sentences; a target
    in `reply_to` is checked as the reply it is, one in `quote` as the quote."""
    problems = []
    alt_optional: dict[int, bool] = {}  # the owner's alt-text rule, read once for all
    people: dict[int, dict[str, Known]] = {}  # each owner's people, for @[name], read once
    for connection in connections:
        drafts = _target_drafts(base, (customize or {}).get(connection.pk))
        if any(has_mentions(d.text) for d in drafts):
            if connection.user_id not in people:
                people[connection.user_id] = people_of(connection.user_id)
            drafts = write_drafts(drafts, connection, people[connection.user_id])[0]
        answers = (reply_to or {}).get(connection.pk, "")
        if answers:
            drafts = [replace(drafts[0], in_reply_to=answers), *drafts[1:]]
        quoted = (quote or {}).get(connection.pk)
        if quoted is not None:
            drafts = [replace(drafts[0], quote=quoted.remote_id, quote_url=quoted.url),
                      *drafts[1:]]
        for n, draft in enumerate(drafts, start=1):
            where = f"{connection.handle}" + (f" (part {n})" if len(drafts) > 1 else "")
            result = validate_for_targets(draft, [connection], alt_optional)[connection.pk]
            problems += [problem_sentence(where, p.message) for p in result.problems]
    return problems


def problem_sentence(where: str, message: str) -> str:
    """One account's problem as a sentence of its own ("@a@host: 38 characters over the limit
    of 500."): several are joined with spaces, and one without its full stop ran into the
    next account's name."""
    text = message.strip()
    return f"{where}: {text}" + ("" if text.endswith((".", "!", "?")) else ".")
