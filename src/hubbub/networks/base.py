"""The connector contract: what every network integration provides.

Connectors take and return the frozen dataclasses below, never Django models, so they can be
tested without a database. Generic code asks capabilities and calls these methods; it never
names a network.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from hubbub.core.image_fit import FitLimits
from hubbub.networks import column_params

# What connecting takes and gives lives in connect_values.py; every connector imports it here.
# A network's limits and what it offers live in capabilities.py, imported here as well.
from hubbub.networks.capabilities import Capabilities as Capabilities
from hubbub.networks.capabilities import IdempotencyKind as IdempotencyKind
from hubbub.networks.capabilities import MediaLimits as MediaLimits
from hubbub.networks.connect_values import AppCredentials as AppCredentials
from hubbub.networks.connect_values import AuthStart as AuthStart
from hubbub.networks.connect_values import Connected as Connected
from hubbub.networks.connect_values import CredentialField as CredentialField
from hubbub.networks.connect_values import Identity as Identity
from hubbub.networks.conversation import not_offered
from hubbub.networks.profile_links import MAX_PROFILES, Profile

AuthKind = Literal["oauth2", "app_password", "keypair"]
# The kind of an Item a stream yields to say "the network deleted remote_id" (see stream()).
DELETED = "deleted"


# The feed of a connection's direct messages (Connector.send_direct answers them).
DIRECT_FEED = "direct"


@dataclass(frozen=True)
class Account:
    """What the connector needs to act for one connected account."""

    base_url: str
    credentials: dict[str, Any]
    remote_id: str = ""
    handle: str = ""


@dataclass(frozen=True)
class MediaFile:
    path: str
    mime_type: str
    alt_text: str = ""
    size: int = 0
    width: int = 0
    height: int = 0
    duration: float = 0.0  # seconds, for a video (0: not known)
    frame_rate: float | None = None

    @property
    def is_video(self) -> bool:
        return self.mime_type.startswith("video/")


def fit_limits_of(media: MediaLimits, **changes: Any) -> FitLimits:
    """A picture's limits on a network, from its media limits (Connector.image_fit's default),
    with `changes` (a FitLimits field each) where the network differs."""
    values: dict[str, Any] = {"max_bytes": media.image_max_bytes,
                              "max_pixels": media.image_max_pixels,
                              "mime_types": media.mime_types}
    return FitLimits(**(values | changes))


@dataclass(frozen=True)
class Draft:
    text: str
    content_warning: str = ""
    media: tuple[MediaFile, ...] = ()
    visibility: str = ""
    in_reply_to: str = ""
    language: str = ""
    # A quote from the deck, on a network that quotes natively (Connector.native_quotes): the
    # network's id of the post quoted, and its web address (for a server that cannot quote).
    quote: str = ""
    quote_url: str = ""


@dataclass(frozen=True)
class Problem:
    # too_long, too_many_media, media_type, media_size, media_mix, video_duration,
    # video_dimensions, video_frame_rate, alt_missing, alt_too_long, empty
    code: str
    message: str


@dataclass(frozen=True)
class Validation:
    count: int
    limit: int
    problems: tuple[Problem, ...] = ()
    # Where the network also limits UTF-8 bytes (Capabilities.text_byte_limit): both numbers.
    byte_count: int | None = None
    byte_limit: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def remaining(self) -> int:
        return self.limit - self.count


@dataclass(frozen=True)
class Published:
    remote_id: str
    url: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class Item:
    """A normalized post or notification read from a network.

    `remote_id` is unique per connection (a notification about a post uses the post's id, so it
    dedupes with the same post read from a timeline; a repost uses the repost's own id).
    `created_at` is timezone-aware: when the post was made, or for a repost when it was
    reposted. `html` may be left empty when the network has no HTML: ingest then builds it from
    `text`. Whatever a connector puts here is sanitized by ingest (timeline/ingest.py) before it
    is stored, so connectors pass the network's values on as they are.

    `extra` carries the display details. The keys ingest reads (all optional):

    - content_warning: str - shown instead of the text until opened
    - sensitive: bool - media blurred until clicked
    - media: [{type: image|video|gifv|audio|unknown, url, preview_url, description}] -
      description is the alt text
    - card: {url, title, description, image} - a link preview (uri/thumb are read as url/image)
    - quote: {author_handle, author_name, text, url, uri} - the quoted post, or
      {uri, unavailable: reason} when it cannot be shown
    - reposted_by, reposted_by_name: str - who reposted/boosted it (kind "repost")
    - in_reply_to: str (remote id), in_reply_to_handle: str
    - author_url: str - the author's profile page
    - liked, reposted, bookmarked: bool - what this account already did to it (my_like /
      my_repost, the network's ids for those, count as true)
    - counts: {reply, repost, like, quote: int}
    - feed: str - from `stream()`: the feed key the item arrived for (not stored)

    Other keys (visibility, notification_id, original_id, uri, cid, ...) are stored as they are
    in `Item.extra` for the connector's own later use; keep them small and JSON-serializable.
    """

    remote_id: str
    kind: str  # post, mention, reply, repost, like, follow, quote
    author_handle: str
    author_name: str
    created_at: datetime
    text: str = ""
    html: str = ""
    url: str = ""
    author_avatar: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: tuple[Item, ...]
    next_cursor: str | None = None


class AppCannotBeChecked(NotImplementedError):
    """Connector.check_app's answer when the network offers no app-only check; its message
    says so in words for the settings page."""


class Connector(ABC):
    slug: ClassVar[str]  # stored in the database: never rename
    name: ClassVar[str]
    auth_kind: ClassVar[AuthKind]
    # What connect_with_token takes, for the CLI (every network) and the web form (networks
    # that do not connect through a browser redirect).
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    # Reads a minute polling may spend on one account (None: no budget, e.g. a network that
    # pushes). Watched columns of one account share it, so opening many columns slows each
    # one down rather than running into the network's rate limit and freezing them all.
    poll_reads_per_minute: ClassVar[float | None] = None
    # Reads a minute polling may spend on all of the hub's accounts of this network together,
    # where the network limits them by the hub's address (None: no such limit). Watched polled
    # feeds of every account then share it too.
    hub_poll_reads_per_minute: ClassVar[float | None] = None
    # What people should know about reading this network, said where they connect an account
    # and add a column (e.g. that the network gives apps no home feed); "" for nothing.
    reading_note: ClassVar[str] = ""
    # Why this network offers no column of a kind (a feedkinds.KINDS slug -> one sentence from
    # its API, lower case and without the network's name, with what comes close where
    # something does: "use a hashtag or list column"). The add-column dialog shows it after the
    # network's name. A reason the account's own capabilities state (`unavailable_feeds`, e.g.
    # a Nostr relay without search) comes first.
    column_kind_reasons: ClassVar[Mapping[str, str]] = {}
    # Keys of the stored credentials that are the person's settings rather than what the
    # network gave (a Nostr account's media server): reconnecting without them keeps them.
    kept_settings: ClassVar[tuple[str, ...]] = ()
    # The network shows a quote of a post natively (a Bluesky embed record, a NIP-18 `q` tag, a
    # Mastodon 4.5 quote): the composer then sends the post quoted as Draft.quote rather than
    # its link in the text.
    native_quotes: ClassVar[bool] = False

    # --- identity and capabilities -----------------------------------------------------------
    @abstractmethod
    def capabilities(self, account: Account) -> Capabilities:
        """Limits for this account (per instance where the network serves them). May do I/O."""

    def default_capabilities(self) -> Capabilities:
        """Limits without I/O, when the network's own answer is not at hand."""
        raise NotImplementedError

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        raise NotImplementedError(f"{self.name} does not connect through a browser redirect")

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        raise NotImplementedError(f"{self.name} does not connect through a browser redirect")

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        """Verify existing credentials (an access token, an app password, a key) and return the
        identity they belong to. Raises Revoked for credentials the network refuses."""
        raise NotImplementedError

    def check_app(self, app: AppCredentials) -> None:
        """Ask the network whether the operator's app (id and secret) is valid, without a user.
        Returns when it is; raises a ConnectorError saying what is wrong when it is not.
        Optional: networks that cannot check an app this way raise AppCannotBeChecked."""
        raise AppCannotBeChecked(
            f"{self.name} cannot check an app without a person signing in; "
            "the app is checked when someone first connects an account."
        )

    def credentials_expire_at(self, credentials: Mapping[str, Any]) -> datetime | None:
        """When these credentials stop working and cannot be renewed without the person (a
        login that must be made again), or None when they do not expire that way. The hub
        shows "reconnect by <date>" ahead of it."""
        return None

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        """Return new credentials after AuthExpired, or None when the network has no refresh."""
        return None

    def account_notes(self, account: Account) -> tuple[str, ...]:
        """Sentences the Connections page shows under this account (what reading it costs, for
        a network that bills reads). No network I/O; none by default."""
        return ()

    @abstractmethod
    def whoami(self, account: Account) -> Identity: ...

    def disconnect(self, account: Account) -> None:  # noqa: B027 - optional for connectors
        """Revoke the credentials on the network where it allows that. Best effort."""

    # --- write -------------------------------------------------------------------------------
    # Why this account's posts go without pictures, when its limits take none (max_count 0):
    # the composer's preview says "Sent without the picture: <this>". "" for a plain sentence.
    no_media_reason: ClassVar[str] = ""

    def mention(self, handle: str, own_handle: str) -> str | None:
        """What a post from the account `own_handle` writes to mention the account `handle`
        (kept as People keep it: listening.text.author_key), so that the network makes it a
        real mention; None where it cannot name that account (the composer then writes the
        person's name and says so). None by default."""
        return None

    def image_fit(self, capabilities: Capabilities) -> FitLimits:
        """The limits a picture is fitted to before upload (core/image_fit.py): by default the
        account's byte and pixel limits and its types, an animated GIF shown moving. Networks
        that show stills only, take fewer types than the composer accepts (converting the
        rest) or keep a longest side say so here."""
        return fit_limits_of(capabilities.media)

    @abstractmethod
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        """No I/O: count and check a draft against the limits. Drives the composer's counters."""

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """Called once per part of a delivery, before that part's first network call. The
        engine stores the result (JSON) on the delivery right after (the sender holds the
        claim, so nobody else writes the row meanwhile) and passes it back as `prepared` to
        every publish and find_published of that part, in any process. A connector that does
        not override it has nothing stored and gets {} each time.

        Use it for what must be identical on every retry: a record key chosen by the client
        (Bluesky TID rkey), a signed event (Nostr). It may read from the network (a reply's
        thread) but must not write: a failure here leaves nothing behind."""
        return {}

    def stage(
        self,
        account: Account,
        draft: Draft,
        media_ids: tuple[str, ...],
        prepared: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Called once per part, after its media are uploaded and before its first publish: a
        network write that leaves nothing anyone can see (Threads' and Instagram's media
        container). The engine stores the result (JSON) under `prepared["stage"]` before it
        calls publish, and passes it to every publish and find_published of that part, so a
        retry publishes the same container and never makes a second post.

        A crash between the network's answer and that store leaves only an unpublished
        container behind (the networks expire them); the next attempt stages again. Raise
        the contract's errors as publish does. Nothing to stage by default."""
        return {}

    @abstractmethod
    def publish(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        media_ids: tuple[str, ...],
        prepared: Mapping[str, Any] | None = None,
    ) -> Published: ...

    @abstractmethod
    def upload_media(self, account: Account, media: MediaFile) -> str:
        """Upload one file; return the network's id for it."""

    @abstractmethod
    def find_published(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        since: datetime,
        prepared: Mapping[str, Any] | None = None,
    ) -> Published | None:
        """After OutcomeUnknown: did the publish with this key take effect? Never publishes."""

    @abstractmethod
    def delete(self, account: Account, remote_id: str) -> None: ...

    # --- read --------------------------------------------------------------------------------
    def column_param_refusal(self, kind: str, param: str, *, typed: str = "") -> str:
        """Why `param` (a hashtag, search, list or feed as the add-column dialog cleans it;
        `typed` as it was typed) can name no `kind` column here, saying what is accepted; ""
        when it may. No I/O: whether a list exists is its first read's to say. By default the
        rules of every network (networks/column_params.py): no control characters, a search
        of at most SEARCH_MAX characters, one hashtag of at most 100."""
        return column_params.refusal(self.name, kind, param, typed=typed)

    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        raise NotImplementedError(f"{self.name} cannot read {feed}")

    def stream(self, account: Account, feeds: Sequence[str]) -> Iterator[Item]:
        """For networks that push: new items of `feeds` as they arrive, each with
        `extra["feed"]` naming the feed it came for. Optional.

        Blocks in `next()` until an item arrives; raises a ConnectorError when the stream
        breaks (the caller reconnects with backoff and polls to fill the gap). The iterator
        should have a `close()` that ends it from another thread (StopIteration or an error in
        the reading thread); `wait_ready(timeout) -> bool`, when present, returns once the
        network is sending live events. Feeds `can_stream` refuses are never asked for.

        A deletion the network pushes comes as an Item of kind DELETED: `remote_id` is the
        deleted post, `author_handle` who deleted it when the network does not vouch for that
        itself (Nostr: the deletion's signer; "" when the server only sends authentic deletions,
        Mastodon); the hub removes only that connection's items that person made."""
        raise NotImplementedError(f"{self.name} does not stream")

    def can_stream(self, feed: str) -> bool:
        """Can `stream` follow this feed? By default: every feed, if the connector streams."""
        return type(self).stream is not Connector.stream

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The whole conversation around the post `remote_id`: root, posts between, replies
        (bounded; networks/conversation.py puts them in order), each naming its parent in
        extra["in_reply_to"] with extra["counts"]. Raises NotImplementedError saying why
        where the network offers none."""
        raise NotImplementedError(not_offered(self.slug, self.name))

    # --- direct messages (the inbox) ---------------------------------------------------------
    # What naming someone in a direct message does beyond naming them, said under the answer
    # in the inbox when a person is written as their account ("{name}" is the person's name):
    # on Mastodon a mention is what delivers a direct status, so she can read it too.
    direct_mention_note: ClassVar[str] = ""

    # Read as the feed DIRECT_FEED: `fetch(account, DIRECT_FEED, cursor)` gives Items of kind
    # "direct", each with extra["conversation"] (the network's id of the conversation, or for
    # Nostr the sorted participant pubkeys joined by ",") and extra["participants"] (the other
    # people's handles, in order).

    def send_direct(
        self,
        account: Account,
        conversation: Mapping[str, Any],
        draft: Draft,
        idempotency_key: str,
    ) -> Published:
        """Answer a direct conversation: `conversation` is the extra of an item read from
        DIRECT_FEED (its "conversation" and "participants", and the item's own "remote_id").
        Only the participants and the account can read what is sent. Optional: networks
        without direct messages raise NotImplementedError saying why."""
        raise NotImplementedError(f"{self.name} has no direct messages the hub can send")

    # --- public profiles (People suggestions) -------------------------------------------------
    # Why this network's profiles give the People suggestions nothing, said on the People page
    # ("" where they are read: the package has a profile_links module).
    profiles_not_read: ClassVar[str] = ""

    def profile_reading_note(self) -> str:
        """The People page's sentence for a network whose profiles are not read, or ""."""
        import importlib.util

        if self.profiles_not_read:
            return self.profiles_not_read
        package = type(self).__module__.rpartition(".")[0]
        if importlib.util.find_spec(f"{package}.profile_links") is not None:
            return ""
        return f"{self.name} profiles are not read."

    def profile_reads_per_day(self) -> int | None:
        """At most this many profiles read a connection a UTC day (a network that bills each
        profile read); None: no daily bound beyond the turns' own."""
        return None

    def read_profiles(self, account: Account, handles: Sequence[str]) -> list[Profile]:
        """What the public profiles of these authors (handles as items name them, at most
        profile_links.MAX_PROFILES) link to, read from the network's own API only. By
        convention in the connector's package, module `profile_links`, function `read`;
        networks without one raise NotImplementedError."""
        import importlib

        package = type(self).__module__.rpartition(".")[0]
        name = f"{package}.profile_links"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            raise NotImplementedError(f"{self.name} profiles are not read") from None
        found: list[Profile] = module.read(account, list(handles)[:MAX_PROFILES])
        return found

    # --- engage ------------------------------------------------------------------------------
    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """Like, repost or bookmark (`kind`) the item with this remote id. Returns the network's
        id for the reaction where it has one (Bluesky: the like/repost record's at:// URI, which
        `delete` removes), else "". Optional: networks without it raise NotImplementedError."""
        raise NotImplementedError(f"{self.name} cannot {kind}")

    def reply(
        self,
        account: Account,
        item_remote_id: str,
        draft: Draft,
        idempotency_key: str,
        media_ids: tuple[str, ...] = (),
    ) -> Published:
        """Publish `draft` as a reply to the item. By default: publish with in_reply_to set."""
        from dataclasses import replace

        return self.publish(
            account, replace(draft, in_reply_to=item_remote_id), idempotency_key, media_ids
        )
