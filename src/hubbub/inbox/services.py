"""Changing the inbox: read, unread, done, "mark all read", and answering an entry in place on
its own network and account. A post's reply goes through publishing (a Post with one Delivery,
sent exactly once by the engine); a direct message is sent with the connector's send_direct
under the answer's own idempotency key, claimed by compare-and-set so two submits of one form
never send twice. `@[Name]` in an answer is written as the person's account on the entry's
network by the composer's own code (publishing/mentions.py): a reply through the engine, which
freezes the words on its Delivery; a direct message here, frozen on the Answer before the first
attempt.

An answer is measured against the account's limits before anything is saved or sent
(`refusal`, the composer's checks): one the network would refuse is refused here, with no
Answer row, so the same form can go again once it is shortened. Only an answer sent (or, for a
reply, accepted by the engine) marks its entry read; a refused one leaves the entry as it was."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hubbub.connections.services import account_for, capabilities_for
from hubbub.inbox.models import Answer, EntryState
from hubbub.inbox.selectors import entries, is_direct, thread_key
from hubbub.networks.base import Draft
from hubbub.networks.errors import ConnectorError, OutcomeUnknown, Revoked
from hubbub.networks.registry import get_connector
from hubbub.publishing.errors import PostError
from hubbub.publishing.mentions import has_mentions, people_of, write
from hubbub.publishing.services import create_post
from hubbub.publishing.target_drafts import check_targets, problem_sentence
from hubbub.timeline.models import Item
from hubbub.timeline.services import reaction_target

NEW = "new"
STATES = {"read": EntryState.READ, "done": EntryState.DONE, "unread": "", "undone": ""}
MAX_TEXT = 10_000
# A send takes at most the HTTP timeouts (seconds); one still "sending" after this died.
STALE_SENDING = timedelta(minutes=5)
log = logging.getLogger(__name__)


class AnswerError(ValueError):
    """An answer that cannot be sent; the message says why."""


def set_state(user: AbstractBaseUser, item: Item, action: str) -> None:
    """read / done / unread / undone ("undone" puts a done entry back, read). A direct
    message's state is its whole thread's."""
    if item.connection.user_id != user.pk:
        raise PermissionError("not this person's item")
    targets = [item.pk]
    if is_direct(item):
        key = thread_key(item)
        targets = [i.pk for i in entries(user).filter(connection_id=item.connection_id)[:1000]
                   if is_direct(i) and thread_key(i) == key] or targets
    state = STATES[action]
    mine = EntryState.objects.filter(item_id__in=targets, user_id=user.pk)
    if action == "undone":
        mine.update(state=EntryState.READ)
    elif not state:
        mine.delete()
    else:
        for pk in targets:
            EntryState.objects.update_or_create(item_id=pk, defaults={"user_id": user.pk,
                                                                      "state": state})


def mark_all_read(user: AbstractBaseUser) -> int:
    """Every unread entry read; returns how many."""
    ids = list(entries(user).filter(inbox_state__isnull=True).values_list("pk", flat=True))
    EntryState.objects.bulk_create(
        [EntryState(item_id=pk, user_id=user.pk, state=EntryState.READ) for pk in ids],
        ignore_conflicts=True)
    return len(ids)


def answer(user: User, item: Item, text: str, token: str) -> Answer:
    """Answer `item` where it came from. The same `token` again (the form sent twice, or a
    retry after a failure) finds the same Answer: a sent one is never sent again, and a
    failed direct message goes again with the same idempotency key."""
    if item.connection.user_id != user.pk:
        raise PermissionError("not this person's item")
    text = text.strip()
    if not text:
        raise AnswerError("Write something first.")
    if len(text) > MAX_TEXT:
        raise AnswerError(f"That is longer than {MAX_TEXT:,} characters.")
    if item.connection.disconnected_at is not None:
        raise AnswerError(f"{item.connection.handle} is disconnected: reconnect it to answer.")
    if refused := refusal(item, text):  # before any row: the same form can go again, edited
        raise AnswerError(f"Not sent: {refused}")
    try:
        with transaction.atomic():
            found, _made = Answer.objects.get_or_create(user=user, token=token, defaults={
                "item": item, "text": text, "direct": is_direct(item), "state": NEW,
                "idempotency_key": uuid.uuid4().hex})
    except IntegrityError:  # the same form, sent twice at once: the other request made it
        found = Answer.objects.get(user=user, token=token)
    if found.item_id != item.pk:
        raise AnswerError("This reply box belongs to another entry: reload the page.")
    # Only one request sends: the one that moves the row from new or failed to sending (or
    # from a sending that stopped long ago: the request died; the same key cannot double it).
    stale = timezone.now() - STALE_SENDING
    if not (Answer.objects.filter(pk=found.pk, post__isnull=True)
            .filter(Q(state__in=(NEW, Answer.FAILED))
                    | Q(state=Answer.SENDING, created_at__lt=stale))
            .update(state=Answer.SENDING, text=text if found.state == NEW else found.text,
                    error="")):
        found.refresh_from_db()
        return found
    found.refresh_from_db()
    try:
        if found.direct:
            _send_direct(found, item)
        else:
            _post_reply(user, found, item)
    except Exception:  # anything unforeseen: said, and the answer can be sent again
        log.exception("answering item %s failed", item.pk)
        _failed(found, "The hub could not tell whether this went out; sending it again "
                       "cannot double it.")
    found.refresh_from_db()
    if found.state == Answer.SENT:  # sent, or a reply the engine took: answered, so read
        EntryState.objects.get_or_create(item=item, defaults={"user_id": user.pk,
                                                              "state": EntryState.READ})
    return found


def refusal(item: Item, text: str) -> str:
    """Why the entry's account would refuse `text` as an answer ("" when it fits), with no
    network call: a reply is checked as the composer checks a reply (check_targets: its
    @[Name]s written for the network, the connector's counting); a direct message by the
    connector's validate of the words as they would be written."""
    connection = item.connection
    if not is_direct(item):
        return " ".join(check_targets(Draft(text=text), [connection],
                                      reply_to={connection.pk: reaction_target(item)}))
    checked = get_connector(connection.network).validate(
        Draft(text=_written(text, item)), capabilities_for(connection))
    return " ".join(problem_sentence(connection.handle, p.message) for p in checked.problems)


def measure(item: Item, text: str) -> tuple[int, int]:
    """The answer's length as the entry's network counts it (its @[Name]s written as sent),
    and the account's limit: the reply box's counter."""
    connection = item.connection
    checked = get_connector(connection.network).validate(
        Draft(text=_written(text.strip(), item)), capabilities_for(connection))
    return checked.count, checked.limit


def _written(text: str, item: Item) -> str:
    if not has_mentions(text):
        return text
    return write(text, item.connection, people_of(item.connection.user_id)).text


def mention_notes(found: Answer) -> tuple[str, ...]:
    """What the person is told of the @[Name]s in an answer: a person with no account on the
    entry's network (written as the name), and, in a direct message, what naming someone does
    there (the connector's `direct_mention_note`: on Mastodon she can read it too)."""
    if not has_mentions(found.text):
        return ()
    connection = found.item.connection
    written = write(found.text, connection, people_of(connection.user_id))
    if found.direct and found.written and written.text != found.written:
        # People changed since the words were frozen: the notes of today would describe
        # another text than the one sent (and sent again).
        return ("The names were written as your People were when this was first sent.",)
    notes = list(written.notes)
    if found.direct:
        note = get_connector(connection.network).direct_mention_note
        notes += [note.format(name=name) for name in written.named if note]
    return tuple(notes)


def can_send_again(found: Answer) -> bool:
    """A direct answer that failed (or whose request died while sending): the inbox offers to
    send it again, the same text under the same key."""
    if not found.direct or found.post_id is not None:
        return False
    return found.state == Answer.FAILED or (
        found.state == Answer.SENDING and found.created_at < timezone.now() - STALE_SENDING)


REPLY_PRIVACY = ("public", "unlisted", "private", "direct")


def reply_visibility(item: Item) -> str:
    """A reply is never more public than what it answers, nor than the account's default: the
    stricter of the two where the network has visibilities (Mastodon), else ""."""
    caps = capabilities_for(item.connection)
    extra = item.extra if isinstance(item.extra, dict) else {}
    choices = [v for v in (str(extra.get("visibility") or ""), caps.default_visibility)
               if v in REPLY_PRIVACY and v in caps.visibilities]
    return max(choices, key=REPLY_PRIVACY.index) if choices else ""


def _post_reply(user: User, found: Answer, item: Item) -> None:
    """The reply as a post of the entry's account (the deck's reply path: the engine sends it
    exactly once and its Delivery says how it went)."""
    try:
        post = create_post(user=user, text=found.text, connections=[item.connection],
                           reply_to={item.connection_id: reaction_target(item)},
                           visibility=reply_visibility(item))
    except PostError as exc:
        Answer.objects.filter(pk=found.pk).update(state=Answer.FAILED, error=str(exc)[:500])
        return
    Answer.objects.filter(pk=found.pk).update(post=post, state=Answer.SENT)


def frozen_text(found: Answer, item: Item) -> str:
    """The direct answer's words as sent: @[Name] written for the entry's network the first
    time (the composer's writing), saved by compare-and-set before anything is sent, so a
    second attempt (Send again, a stale one) sends exactly those words, whatever the person's
    accounts are by then; an attempt that lost the race takes the words the other froze."""
    if found.written:
        return found.written
    connection = item.connection
    text = found.text
    if has_mentions(text):
        text = write(text, connection, people_of(connection.user_id)).text
    if not Answer.objects.filter(pk=found.pk, written="").update(written=text):
        text = Answer.objects.values_list("written", flat=True).get(pk=found.pk)
    found.written = text
    return text


def _send_direct(found: Answer, item: Item) -> None:
    connection = item.connection
    draft = Draft(text=frozen_text(found, item))
    try:
        connector = get_connector(connection.network)
        checked = connector.validate(draft, capabilities_for(connection))
        if not checked.ok:
            raise AnswerError(" ".join(p.message for p in checked.problems))
        extra = item.extra if isinstance(item.extra, dict) else {}
        published = connector.send_direct(account_for(connection),
                                          {**extra, "remote_id": item.remote_id}, draft,
                                          found.idempotency_key)
    except AnswerError as exc:
        _failed(found, str(exc))
        return
    except OutcomeUnknown as exc:
        _failed(found, f"{exc} It may have been sent; sending again cannot double it.")
        return
    except Revoked as exc:
        _failed(found, f"{exc} Reconnect {connection.handle} on the Connections page.")
        return
    except (ConnectorError, NotImplementedError) as exc:
        _failed(found, str(exc) or "The network refused the message.")
        return
    Answer.objects.filter(pk=found.pk).update(state=Answer.SENT, remote_id=published.remote_id,
                                              url=published.url)


def _failed(found: Answer, message: str) -> None:
    Answer.objects.filter(pk=found.pk).update(state=Answer.FAILED, error=message[:500])
