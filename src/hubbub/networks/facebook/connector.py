"""Facebook Pages: Facebook Login through the operator's Meta app, then a connection per Page
the person picks (a Page token each); text, link and photo posts with alt text, the Page's
posts and the comments on them, replies to comments. Plain HTTP over the guarded
session (graph.py); why no SDK, in docs/architecture.md. Personal profiles and groups cannot
be posted to: Meta's API does not allow it.

Facebook takes no idempotency key. A publish whose outcome is unknown is settled by reading
the Page's own posts since the attempt (find_published, matching the message and the link),
and a refusal as a duplicate (error 506) counts as sent once the post is found among them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from hubbub.networks.app_check import check_client_credentials
from hubbub.networks.attempts import attempt, attempted
from hubbub.networks.base import (
    Account,
    AppCredentials,
    AuthKind,
    AuthStart,
    Capabilities,
    Connected,
    Connector,
    CredentialField,
    Draft,
    Identity,
    Item,
    MediaFile,
    Page,
    Published,
    Validation,
)
from hubbub.networks.errors import AuthExpired, Rejected, Revoked, Transient
from hubbub.networks.facebook import conversation, graph, mapping, oauth, reading, rules
from hubbub.networks.facebook.failures import RECONNECT, unreadable
from hubbub.networks.facebook.graph import Graph
from hubbub.networks.image_fit import fitted
from hubbub.networks.meta.connection import stored_id, token_connection

# find_published looks this far before `since`, for a server clock behind ours.
CLOCK_SLACK = timedelta(minutes=2)
# Without a prepared attempt time, a duplicate refusal is matched against this much history.
DUPLICATE_LOOKBACK = timedelta(hours=1)
FIND_PAGES = 5
FIND_PAGE_SIZE = 100


class FacebookConnector(Connector):
    slug: ClassVar[str] = oauth.SLUG  # "facebook"
    name: ClassVar[str] = "Facebook"
    # Why a column kind is missing, from the Graph API (feedkinds.unavailable_reasons).
    column_kind_reasons: ClassVar[Mapping[str, str]] = {
        "mentions": "the hub does not read the posts a Page is tagged in yet: Home shows what "
                    "people post on the Page, Notifications the comments on its posts",
        "list": "a Page has no lists of people, and the API gives apps none of a person's",
        "hashtag": "the Graph API gives apps no hashtag feed",
        "search": "the Graph API gives apps no search of posts",
        "author": "the API reads the connected Page only: another Page's posts need Meta's "
                  "Page Public Content Access, which this hub's app does not ask for",
        "feed": "custom feeds are Bluesky's feed generators, and Facebook's API has none",
    }
    # docs: developers.facebook.com/docs/graph-api/reference/user, .../reference/page
    profiles_not_read: ClassVar[str] = (
        "Facebook profiles give the suggestions nothing: the Graph API gives an app a "
        "person's name and an app-scoped id, never their profile's links, and another Page's "
        "website needs Meta's Page Public Metadata Access, which this hub's app does not ask "
        "for. Facebook accounts are suggested by matching names only.")
    auth_kind: ClassVar[AuthKind] = "oauth2"
    # A Page's calls count against its Business Use Case limit: 4,800 a day times the number
    # of people engaged with the Page ("Rate Limits"). A small Page has little; two reads a
    # minute leaves room for posting, and usage.py stops earlier when Meta says it is near.
    poll_reads_per_minute: ClassVar[float | None] = 2.0
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Page access token", "--token", kind="secret",
                        help="A Page access token issued to the operator's Meta app (from "
                             "/me/accounts with a long-lived user token)."),
        CredentialField("page_id", "Page ID", "--page-id", required=False,
                        help="The Page's id; found from the token when left out."),
    )

    # --- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _graph(self, account: Account) -> Iterator[Graph]:
        with Graph.for_account(account.base_url, account.credentials, oauth.app_secret()) as g:
            try:
                yield g
            except AuthExpired as exc:
                # A Page token has no refresh: only the person signing in again renews it.
                raise Revoked(exc.message) from None

    @staticmethod
    def _page_id(account: Account) -> str:
        return stored_id(account, "page_id",
                         f"This Facebook connection does not say which Page it is: {RECONNECT}.")

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        return rules.capabilities()  # Facebook serves no limits: the documented ones

    def default_capabilities(self) -> Capabilities:
        return rules.capabilities()

    def whoami(self, account: Account) -> Identity:
        with self._graph(account) as g:
            return _page_identity(g, self._page_id(account) if _has_page(account) else "me")

    def check_app(self, app: AppCredentials) -> None:
        # Unversioned, as "Access Tokens" (App Access Tokens) shows the request.
        check_client_credentials(f"{graph.graph_url()}/{oauth.TOKEN_PATH}", app, "Facebook")

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        """Facebook has one server: `base_url` (a typed instance, for other networks) is not
        used."""
        return oauth.start(redirect_uri)

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        """The Pages the person can post to: the first as the connection, the others offered
        to pick (Connected.other_accounts)."""
        code = oauth.check_callback(params, state_data)
        base = str(state_data.get("graph_url") or graph.graph_url())
        user = oauth.exchange_code(base, code, str(state_data["redirect_uri"]))
        found = oauth.pages(base, str(user["access_token"]))
        postable = [p for p in found if oauth.can_post(p.credentials)]
        if not postable:
            if found:
                raise Rejected("Your role on your Facebook Pages does not let you post (it needs "
                               "the Create content task): ask a Page admin for it, then connect "
                               "again.")
            raise Rejected("This Facebook account manages no Pages, or none were allowed for "
                           "hubbub. hubbub posts to Pages only (Facebook lets no app post to a "
                           "personal profile or a group): connect again and tick the Pages.")
        first, *others = postable
        return Connected(base_url=first.base_url, credentials=first.credentials,
                         identity=first.identity, other_accounts=tuple(others))

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        return token_connection(
            base_url, credentials, origin=graph.graph_url, whoami=self.whoami,
            missing="Give a Facebook Page access token issued to the operator's Meta app.",
            id_key="page_id", keep=("page_id",))

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return rules.validate(draft, capabilities)

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """When this part was first tried: a duplicate refusal is matched only against the
        Page's posts since then."""
        return attempt()

    def upload_media(self, account: Account, media: MediaFile) -> str:
        """Upload a photo unpublished (published=false) with its alt text; publish attaches
        it (attached_media). An unpublished photo shows nowhere until then."""
        page_id = self._page_id(account)
        form = mapping.photo_form(media)
        # Over Facebook's 4 MB: fitted first (networks/image_fit.py), the same bytes each try.
        picture = fitted(media, self.image_fit(rules.capabilities()), "Facebook")
        name = f"{Path(media.path).stem or 'photo'}.{picture.mime_type.removeprefix('image/')}"
        files = {"source": (name, picture.data, picture.mime_type)}
        with self._graph(account) as g:
            body = g.post(f"{page_id}/photos", form, files=files, what="upload a photo to the Page")
        photo_id = body.get("id")
        if not isinstance(photo_id, str) or not photo_id:
            raise Transient("Facebook accepted the photo but named no id for it")
        return photo_id

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        page_id = self._page_id(account)
        web = graph.dialog_url()
        with self._graph(account) as g:
            if draft.in_reply_to:
                return self._comment(g, draft, web)
            response = g.send("POST", f"{page_id}/feed",
                              data=mapping.feed_form(draft, media_ids), write=True)
            if not response.ok and g.error(response).is_duplicate:
                found = self._find(g, page_id, draft, attempted(prepared, DUPLICATE_LOOKBACK))
                if found is not None:
                    return found
            body = g.result(response, write=True, what="publish to the Page")
        try:
            return mapping.published(body, web, page_id)
        except ValueError:
            raise unreadable(write=True) from None

    def _comment(self, g: Graph, draft: Draft, web: str) -> Published:
        body = g.post(f"{draft.in_reply_to}/comments", {"message": mapping.message_of(draft)},
                      write=True, what="comment as the Page")
        comment_id = body.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise unreadable(write=True)
        return Published(remote_id=comment_id, url=f"{web}/{comment_id}")

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        with self._graph(account) as g:
            if draft.in_reply_to:
                return reading.find_comment(g, self._page_id(account), draft,
                                            since - CLOCK_SLACK, graph.dialog_url())
            return self._find(g, self._page_id(account), draft, since)

    def _find(self, g: Graph, page_id: str, draft: Draft, since: datetime) -> Published | None:
        """The oldest of the Page's own posts since `since` that is this draft."""
        start = int((since - CLOCK_SLACK).timestamp())
        params: dict[str, Any] = {"fields": mapping.POST_FIELDS, "since": start,
                                  "limit": FIND_PAGE_SIZE}
        found: list[Mapping[str, Any]] = []
        for _ in range(FIND_PAGES):
            body = g.get(f"{page_id}/posts", params, what="read the Page's posts")
            posts = body.get("data")
            found += [p for p in posts if isinstance(p, Mapping) and mapping.matches(p, draft)] \
                if isinstance(posts, list) else []
            after = reading.after(body)
            if not after or not posts:
                break
            params = {**params, "after": after}
        if not found:
            return None
        first = mapping.oldest_first(found)[0]
        try:
            return mapping.published(first, graph.dialog_url(), page_id)
        except ValueError:
            return None

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a post or comment; one that is already gone counts as deleted."""
        with self._graph(account) as g:
            g.delete_gone(remote_id, what="delete the post")

    # --- engage --------------------------------------------------------------------------------
    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """Like a post or comment as the Page: `POST /{object-id}/likes` with the Page token
        (Object Likes, "Publish"; Meta refuses it with a person's token). Liking twice is one
        like, so a retry is harmless. Meta documents no unliking here, and sharing or saving
        has no API: a Page cannot repost or bookmark from the hub."""
        if kind != "like":
            raise NotImplementedError(f"Facebook's API does not let an app {kind} as a Page")
        with self._graph(account) as g:
            body = g.post(f"{item_remote_id}/likes", what="like as the Page")
        if body.get("success") is not True:
            raise unreadable(write=False)
        return ""  # a like has no id of its own on Facebook

    def reply(self, account: Account, item_remote_id: str, draft: Draft, idempotency_key: str,
              media_ids: tuple[str, ...] = ()) -> Published:
        """A comment as the Page on a post, or a reply to a comment (text only)."""
        with self._graph(account) as g:
            return self._comment(g, Draft(text=draft.text, content_warning=draft.content_warning,
                                          in_reply_to=item_remote_id), graph.dialog_url())

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """A page of `home` (everything on the Page: its posts and visitors'), `own` (the Page's
        posts) or `notifications` (comments on the Page's latest posts), newest first."""
        with self._graph(account) as g:
            return reading.fetch(g, self._page_id(account), account.handle, feed, cursor,
                                 graph.dialog_url())

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The post and every comment on it, replies to comments included."""
        with self._graph(account) as g:
            return conversation.read(g, remote_id, account.handle, graph.dialog_url())


def _has_page(account: Account) -> bool:
    return bool(account.credentials.get("page_id") or account.remote_id)


def _page_identity(g: Graph, page: str) -> Identity:
    body = g.get(page, {"fields": "id,name"}, what="read the Page")
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise Transient("Facebook described the Page in a way hubbub cannot read")
    return oauth.identity_from_page(body)
