from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import active_connections, capabilities_for
from hubbub.core.counting import MAX_POST_CHARS
from hubbub.core.ids import IdMultipleChoiceField, parse_id, parse_ids
from hubbub.core.localtime import to_utc as to_utc  # moved there; still importable here
from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.registry import get_connector
from hubbub.publishing import customize, post_options, stash
from hubbub.publishing.media import NewMedia
from hubbub.publishing.models import Post, PostMedia
from hubbub.publishing.outgoing import KeptMedia, MediaItem, Outgoing, Quoted
from hubbub.publishing.schedule_fields import ScheduleFields as ScheduleFields
from hubbub.publishing.slots import (
    ACCEPTED_FILES,
    MAX_IMAGES,
    SLOTS,
    Slot,
    SlotImage,
    parse_meta,
    stored_meta,
    stored_slot,
    video_meta,
)
from hubbub.timeline.models import Item
from hubbub.timeline.privacy import PRIVATE_LABELS, private_kind
from hubbub.timeline.services import reaction_target

# Said before any network counts the text (publishing.services says it to the live counters,
# the CLI and the import).
TOO_LONG_TO_POST = (
    f"This post is too long: the hub takes at most {MAX_POST_CHARS:,} characters (no network "
    "takes more than about 64,000). Shorten it or split it into several posts."
)


class ComposeForm(ScheduleFields):
    text = forms.CharField(
        required=False,
        max_length=MAX_POST_CHARS,
        error_messages={"max_length": TOO_LONG_TO_POST},
        label="Post",
        widget=forms.Textarea(
            attrs={"rows": 7, "placeholder": "What do you want to say?", "autofocus": True,
                   # "@" offers people and accounts (mentions.js); @[Name] works without it.
                   "data-mentions": reverse_lazy("publishing:mention_options"),
                   "aria-autocomplete": "list",
                   "aria-describedby": "mention-hint"}
        ),
    )
    content_warning = forms.CharField(
        required=False,
        max_length=1500,
        label="Content warning",
        widget=forms.TextInput(attrs={"placeholder": "Shown before the post, e.g. spoilers"}),
    )
    targets = IdMultipleChoiceField(
        queryset=Connection.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    visibility = post_options.visibility_field()
    language = post_options.language_field()
    # now, schedule, draft; or a step without JS: split:N, unsplit:N, reset:N (N: an account).
    action = forms.CharField(required=False, max_length=40)
    # A reply from the deck: the hub's id of the timeline item answered.
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # A quote from the deck: the hub's id of the timeline item quoted. Where its network quotes
    # natively (Connector.native_quotes) the post carries the quote itself; elsewhere its link
    # is in the text.
    # Read by find_item (parse_id): anything that names no item of the person's is refused
    # with a sentence (_check_quote), not a hidden field's error nobody sees.
    quote = forms.CharField(required=False, strip=True, widget=forms.HiddenInput)
    # The draft this composer keeps up to date (saved by the page as the person types).
    draft = forms.IntegerField(required=False, widget=forms.HiddenInput(attrs={"data-draft": ""}))

    def __init__(self, *args: Any, user: User, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, zone=zone, **kwargs)
        self.user = user
        targets = self.fields["targets"]
        assert isinstance(targets, forms.ModelMultipleChoiceField)
        targets.queryset = active_connections(user)
        if not self.is_bound and "visibility" not in self.initial:  # opened fresh
            chosen = post_options.preselected(post_options.account_defaults(targets.queryset),
                                              self.selected_ids)
            self.initial["visibility"] = chosen.visibility
            self.initial["language"] = chosen.language
        raw = self.data.get("reply_to") if self.is_bound else self.initial.get("reply_to")
        self.reply_item = find_item(user, raw)
        quoted = self.data.get("quote") if self.is_bound else self.initial.get("quote")
        self.quote_item = find_item(user, quoted) if self.reply_item is None else None
        for i in SLOTS:
            self.fields[f"image_{i}"] = forms.FileField(
                required=False,
                label=f"Image or video {i}",
                widget=forms.FileInput(attrs={"accept": ACCEPTED_FILES, "data-slot": i}),
            )
            self.fields[f"alt_{i}"] = forms.CharField(
                required=False,
                label="Alt text",
                widget=forms.Textarea(
                    attrs={"rows": 2, "placeholder": "Describe the image for people who "
                           "cannot see it"}
                ),
            )
        raw_draft = str(self.raw.get("draft") or "")
        self.draft_post: Post | None = None
        # The form names a post of this person's that is no longer a draft (sent from another
        # tab, or this form sent twice): it must never be posted again as a new post. A draft
        # that was discarded meanwhile is simply gone: what is typed here starts a new one.
        self.draft_sent = False
        if (draft_pk := parse_id(raw_draft)) is not None:
            named = Post.objects.filter(pk=draft_pk, user=user).first()
            if named is not None and named.is_draft:
                self.draft_post = named
            self.draft_sent = named is not None and not named.is_draft
        self.held: dict[int, SlotImage] = {}
        for i in SLOTS:
            token = str(self.raw.get(f"keep_{i}", "") or "")
            if token and not self.raw.get(f"drop_{i}"):
                found = self._load_held(token)
                if found is not None:
                    self.held[i] = found

    @property
    def raw(self) -> Any:
        """What the form holds: the posted data, or (opened fresh) its initial values."""
        return self.data if self.is_bound else self.initial

    def _load_held(self, token: str) -> SlotImage | None:
        if token.startswith("m") and token[1:].isdigit():
            media = PostMedia.objects.filter(pk=int(token[1:]), post__user=self.user,
                                             post__is_draft=True).first()
            if media is None:
                return None
            return stored_slot(media)
        found = stash.load(int(self.user.pk), token)
        if found is None:
            return None
        return SlotImage(token, found.name, reverse("publishing:stash_preview", args=[token]),
                         found.meta, stashed=found)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def selected_ids(self) -> set[int]:
        if self.is_bound:
            getlist = getattr(self.data, "getlist", None)
            raw = getlist("targets") if getlist else self.data.get("targets", [])
        else:
            raw = self.initial.get("targets", [])
        return set(parse_ids(getattr(value, "pk", value) for value in raw))

    def slots(self) -> list[Slot]:
        result = []
        for i in SLOTS:
            found = self.held.get(i)
            meta = found.meta if found else str(self.raw.get(f"meta_{i}", "") or "")
            result.append(Slot(i, self[f"image_{i}"], self[f"alt_{i}"], found, meta))
        return result

    def present_slots(self) -> list[int]:
        """The slots holding an image (a file sent with this form, or one kept in the stash or
        the draft), in order: image i of the post is the one in present_slots()[i]."""
        return [i for i in SLOTS if (self.files and self.files.get(f"image_{i}"))
                or i in self.held]

    def base_draft(self) -> Draft:
        """The main text, warning and images as the counters and the preview see them."""
        raw = self.raw
        data: dict[str, Any] = {key: raw.get(key) or "" for key in ("text", "content_warning")}
        for i in self.present_slots():
            held = self.held.get(i)
            data[f"meta_{i}"] = held.meta if held else raw.get(f"meta_{i}") or ""
            data[f"alt_{i}"] = raw.get(f"alt_{i}") or ""
        draft = draft_from_data(data)
        # A reply is counted and checked as one (Instagram takes a reply without a picture).
        item = self.reply_item
        return replace(draft, in_reply_to=reaction_target(item)) if item is not None else draft

    def typed_time(self) -> datetime | None:
        """The date and time typed, in UTC, when both are there and real (a draft remembers
        them; whether they are still ahead is checked when it is scheduled)."""
        day = self.cleaned_data.get("schedule_date")
        at = self.cleaned_data.get("schedule_time")
        if day is None or at is None:
            return None
        try:
            return to_utc(day, at, self.zone, fold=self._fold())
        except ValidationError:
            return None

    def wants_schedule(self) -> bool:
        return self.data.get("action") == "schedule"

    @property
    def quote_native(self) -> bool:
        """The quoted item's network shows the quote itself (no link needed in the text)."""
        item = self.quote_item
        return item is not None and get_connector(item.connection.network).native_quotes

    @property
    def quote_as_link(self) -> bool:
        """A native quote from an account whose server cannot show it (Mastodon before 4.5,
        Capabilities.quote_as_link): the quoted post's link goes after the words instead."""
        item = native_quote(self.quote_item)
        return item is not None and capabilities_for(item.connection).quote_as_link

    def clean_reply_to(self) -> int | None:
        value: int | None = self.cleaned_data.get("reply_to")
        if value is not None and self.reply_item is None:
            raise ValidationError("The post you are replying to is not in your hub any more.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["scheduled_for"] = self.scheduled_for(required=self.wants_schedule())
        if not self.wants_schedule():
            cleaned["scheduled_for"] = None
        item = self.reply_item
        targets = cleaned.get("targets")
        if item is not None and targets is not None and {t.pk for t in targets} != {
            item.connection_id
        }:
            self.add_error(None, f"A reply goes out from {item.connection.handle} only, on "
                                 "the network the post came from.")
        self._check_quote(targets)
        return cleaned

    def _check_quote(self, targets: Sequence[Connection] | None) -> None:
        """The item quoted is still in the hub, anyone may see it, and a native quote goes
        from the account that saw it."""
        if self.reply_item is not None or not self.cleaned_data.get("quote"):
            return
        quoted = self.quote_item
        if quoted is None:
            self.add_error(None, "The post you are quoting is not in your hub any more (or "
                                 "its account was disconnected): it cannot be quoted.")
            return
        private = private_kind(quoted)
        if private:
            self.add_error(None, f"{PRIVATE_LABELS[private]}: it cannot be quoted, only its "
                                 "readers may see it.")
        elif self.quote_native and targets is not None and {
                t.pk for t in targets} != {quoted.connection_id}:
            self.add_error(None, f"A quote goes out from {quoted.connection.handle} only: it "
                                 "shows the post quoted on the network it came from.")

    def outgoing(self) -> Outgoing:
        """What to send, read once from the cleaned form: the value every service of the
        composer takes (services.create_from, drafts.save_draft/update_draft, planning's
        add_from_compose). A form that is not valid (a draft saved as one types) gives what
        is valid of it."""
        cleaned = self.cleaned_data
        options = post_options.options_from(cleaned)
        chosen = tuple(cleaned.get("targets") or ())
        text = str(cleaned.get("text", "") or "")
        content_warning = str(cleaned.get("content_warning", "") or "")
        present = self.present_slots()
        edits = customize.read_edits(
            self.data, chosen, text=str(self.data.get("text", "") or ""),
            content_warning=str(self.data.get("content_warning", "") or ""),
            present_slots=present)
        return Outgoing(
            text=text, targets=chosen, content_warning=content_warning,
            media=tuple(self.media_items() if self.draft_post is not None else self.new_media()),
            scheduled_for=cleaned.get("scheduled_for"), typed_time=self.typed_time(),
            tz=self.zone, reply_to=self.reply_targets() or None,
            quote=self.quote_targets() or None,
            customize=customize.customize_map(
                edits, [c.pk for c in chosen], text=text, content_warning=content_warning,
                present_slots=present),
            visibility=options.visibility, language=options.language, draft=self.draft_post)

    def reply_targets(self) -> dict[int, str]:
        """For create_post(reply_to=...): the connection that saw the post -> its remote id."""
        item = self.reply_item
        if item is None:
            return {}
        return {item.connection_id: reaction_target(item)}

    def quote_targets(self) -> dict[int, Quoted]:
        """For create_post(quote=...): the connection that saw the post quoted -> that post,
        where its network quotes natively (elsewhere the link in the text is the quote)."""
        return quote_map(self.quote_item)

    def media_items(self) -> list[MediaItem]:
        """The images in slot order: new uploads and stashed files as NewMedia, images the
        draft already has as KeptMedia."""
        media: list[MediaItem] = []
        for i in SLOTS:
            upload = self.cleaned_data.get(f"image_{i}")
            alt = str(self.cleaned_data.get(f"alt_{i}", "") or "").strip()
            held = self.held.get(i)
            if upload is not None:
                media.append(NewMedia(upload=upload, alt_text=alt))
            elif held is not None and held.stored is not None:
                media.append(KeptMedia(media_id=held.stored.pk, alt_text=alt))
            elif held is not None and held.stashed is not None:
                media.append(NewMedia(upload=held.stashed.as_upload(), alt_text=alt))
        return media

    def new_media(self) -> list[NewMedia]:
        """Every image as a new file (for a post made without a draft)."""
        media = []
        for item in self.media_items():
            if isinstance(item, KeptMedia):
                held = next(h for h in self.held.values()
                            if h.stored is not None and h.stored.pk == item.media_id)
                assert held.stored is not None
                with held.stored.file.open("rb") as handle:
                    data = handle.read()
                upload = SimpleUploadedFile(held.name, data, held.stored.mime_type)
                media.append(NewMedia(upload=upload, alt_text=item.alt_text))
            else:
                media.append(item)
        return media

    # --- keeping what was typed ------------------------------------------------------------------

    def keep_uploads(self) -> None:
        """Stash newly uploaded images so the re-rendered form still has them."""
        for i in SLOTS:
            upload = self.files.get(f"image_{i}") if self.files else None
            held = self.held.get(i)
            if upload is None or (held is not None and held.stored is not None):
                continue  # nothing new, or saved with the draft already
            found = stash.stash(int(self.user.pk), upload)
            if found is None:
                self.add_error(f"image_{i}",
                               f"{upload.name} is not an image or a video we can read.")
            else:
                self.held[i] = SlotImage(found.token, found.name,
                                         reverse("publishing:stash_preview", args=[found.token]),
                                         found.meta, stashed=found)

    def hold_saved(self, post: Post) -> None:
        """After the draft was saved: each slot holds the draft's own image from now on."""
        saved = list(post.media.order_by("position", "pk"))
        for i, media in zip(self.present_slots(), saved, strict=False):
            self.held[i] = stored_slot(media)

    def discard_stash(self) -> None:
        for held in self.held.values():
            if held.stashed is not None:
                stash.discard(int(self.user.pk), held.token)


def find_item(user: User, ref: object) -> Item | None:
    """A timeline item of this person's connections, by the hub's id; None for anything else
    (not an id, another person's item, an item gone, a disconnected account's)."""
    pk = parse_id(ref if isinstance(ref, int) else str(ref or ""))
    if pk is None:
        return None
    return Item.objects.select_related("connection").filter(
        pk=pk, connection__user=user, connection__disconnected_at__isnull=True
    ).first()


def present_slots_in(data: Any) -> list[int]:
    """The slots the page describes as holding an image (meta_N set, not dropped)."""
    return [i for i in SLOTS if parse_meta(str(data.get(f"meta_{i}", "") or "")) is not None
            and not data.get(f"drop_{i}")]


def draft_from_data(data: Any) -> Draft:
    """A draft from the compose form's raw fields, for the live counters (no files needed)."""
    media = []
    for i in present_slots_in(data):
        parsed = parse_meta(str(data.get(f"meta_{i}", "")))
        if parsed is None:
            continue
        mime, size, width, height = parsed
        duration, rate = video_meta(str(data.get(f"meta_{i}", "")))
        media.append(
            MediaFile(path="", mime_type=mime, size=size, width=width, height=height,
                      alt_text=str(data.get(f"alt_{i}", "")).strip(), duration=duration,
                      frame_rate=rate)
        )
    return Draft(
        text=str(data.get("text", "")).strip(),
        content_warning=str(data.get("content_warning", "")).strip(),
        media=tuple(media),
    )


class EditForm(ScheduleFields):
    text = forms.CharField(
        required=False, label="Post", widget=forms.Textarea(attrs={"rows": 7}),
        max_length=MAX_POST_CHARS, error_messages={"max_length": TOO_LONG_TO_POST},
    )
    content_warning = forms.CharField(required=False, max_length=1500, label="Content warning")
    visibility = post_options.visibility_field()
    language = post_options.language_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["scheduled_for"] = self.scheduled_for(required=True)
        return cleaned

    def outgoing(self, targets: Sequence[Connection]) -> Outgoing:
        """The edit as one value for services.update_from: the words, the time and the
        options; the accounts (and their own versions) are the post's, unchanged."""
        cleaned = self.cleaned_data
        options = post_options.options_from(cleaned)
        return Outgoing(
            text=str(cleaned.get("text", "") or ""), targets=tuple(targets),
            content_warning=str(cleaned.get("content_warning", "") or ""),
            scheduled_for=cleaned.get("scheduled_for"), tz=self.zone,
            visibility=options.visibility, language=options.language)


def native_quote(item: Item | None) -> Item | None:
    """`item` when a post may quote it natively (shown under the words, sent with the post);
    None for no item, a private one, or a network whose quote is the link in the text."""
    if item is None or private_kind(item):
        return None
    return item if get_connector(item.connection.network).native_quotes else None


def quote_map(item: Item | None) -> dict[int, Quoted]:
    """The account that saw `item` -> the post it quotes, where `item` may be quoted
    natively (native_quote); empty otherwise (the link in the text is the quote)."""
    quoted = native_quote(item)
    if quoted is None:
        return {}
    return {quoted.connection_id: Quoted(reaction_target(quoted), quoted.url)}


def post_quotes(post: Post) -> dict[int, Quoted]:
    """A saved post's quoting accounts -> the post each quotes (its deliveries' quote_of and
    quote_url): what the edit page counts, as the composer counts a quote it opens with."""
    return {d.connection_id: Quoted(d.quote_of, d.quote_url)
            for d in post.deliveries.all() if d.quote_of}


def _item_of(connection_id: int, remote_id: str) -> Item | None:
    """The stored item a delivery names by the network's id (a repost's original too)."""
    return Item.objects.filter(connection_id=connection_id, remote_id=remote_id).first() or \
        Item.objects.filter(connection_id=connection_id, extra__original_id=remote_id).first()


def draft_data(post: Post, zone: str) -> dict[str, Any]:
    """A saved draft as the compose form's fields, to open it again: the main text, the
    accounts, each account's own version, the images ("m<id>") and the time picked."""
    data: dict[str, Any] = {"text": post.text, "content_warning": post.content_warning,
                            "draft": post.pk, "visibility": post.visibility,
                            "language": post.language}
    media = list(post.media.all())
    slot_of = {m.pk: i for i, m in enumerate(media[:MAX_IMAGES], start=1)}
    for i, m in enumerate(media[:MAX_IMAGES], start=1):
        data[f"keep_{i}"] = f"m{m.pk}"
        data[f"alt_{i}"] = m.alt_text
        data[f"meta_{i}"] = stored_meta(m)
    targets = []
    for d in post.deliveries.select_related("connection"):
        if d.connection.disconnected_at is not None:
            continue
        n = d.connection_id
        targets.append(n)
        if d.in_reply_to and "reply_to" not in data:
            item = Item.objects.filter(connection_id=n, remote_id=d.in_reply_to).first() or \
                Item.objects.filter(connection_id=n, extra__original_id=d.in_reply_to).first()
            if item is not None:
                data["reply_to"] = item.pk
        if d.quote_of and "quote" not in data:
            item = _item_of(n, d.quote_of)
            if item is not None:
                data["quote"] = item.pk
        if d.visibility_override:
            data[f"vis_{n}"] = d.visibility_override
        custom = (d.text_override is not None or d.content_warning_override is not None
                  or d.media_override is not None or bool(d.parts))
        if not custom:
            continue
        data[f"custom_{n}"] = "1"
        data[f"text_{n}"] = post.text if d.text_override is None else d.text_override
        data[f"cw_{n}"] = (post.content_warning if d.content_warning_override is None
                           else d.content_warning_override)
        chosen = list(slot_of) if d.media_override is None else d.media_override
        data[f"media_{n}"] = [str(slot_of[pk]) for pk in chosen if pk in slot_of]
        data[f"part_{n}"] = list(d.parts)
    data["targets"] = targets
    if post.scheduled_for is not None:
        local = timezone.localtime(post.scheduled_for, ZoneInfo(zone))
        data["schedule_date"] = local.date()
        data["schedule_time"] = local.time()
    return data
