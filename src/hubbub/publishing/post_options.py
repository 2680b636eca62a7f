"""Who sees a post on Mastodon (its visibility) and the post's language.

Both are kept on the Post (`visibility`, `language`), written with its row (the composer's
Outgoing carries them to services.create_post, the draft rewrite and services.update_from for
an edit; duplicate_post copies them), and reach every target's
Draft through target_drafts.draft_of, which the engine sends: Mastodon takes `visibility`
and `language`, Bluesky `langs`, Nostr a NIP-32 language label; the other networks take
neither. A visibility of "" sends none, so each Mastodon server applies its account's own
default (accounts that disagree each keep theirs). One Mastodon account may have its own
(`vis_N` in its "Customize" section, publishing/customize.py), kept on its Delivery
(`visibility_override`), which draft_of gives instead of the post's.

What the composer preselects comes from each account's posting defaults, read from its server
with the limits (Mastodon's GET /api/v1/preferences, kept in the connection's capabilities
JSON): the ticked Mastodon accounts' visibility when they agree, else "each account's
default"; their language, else the person's browser language, else none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from hubbub.connections.models import Connection
from hubbub.connections.services import POSTING_DEFAULTS_TTL, capabilities_for
from hubbub.core.languages import LANGUAGES, language_code
from hubbub.publishing.models import Visibility

NOT_SAID = "Not said"
BAD_VISIBILITY = ("Visibility is one of Public, Unlisted, Followers only or Mentioned people "
                  "only, or each account's default.")
BAD_LANGUAGE = ("That is not a language the hub knows: pick one from the list (ISO 639-1, "
                "such as en or de), or “Not said”.")
DIRECT_WARNING = ("Only the people mentioned in the post will see it on Mastodon (and the "
                  "server's moderators); it is not end-to-end encrypted.")
# The networks whose posts carry a visibility; every other target ignores it.
VISIBILITY_NETWORKS = ("mastodon",)


@dataclass(frozen=True)
class PostOptions:
    visibility: str = ""  # a Visibility value; "": each account's default
    language: str = ""  # an ISO 639-1 code; "": not said


def visibility_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=Visibility.choices, required=False, label="Who sees it on Mastodon",
        error_messages={"invalid_choice": BAD_VISIBILITY},
    )


def language_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[("", NOT_SAID), *LANGUAGES.items()], required=False, label="Language",
        error_messages={"invalid_choice": BAD_LANGUAGE},
    )


def options_from(cleaned: Mapping[str, Any]) -> PostOptions:
    """The options a valid form holds (a form without the fields: none)."""
    visibility = str(cleaned.get("visibility") or "")
    return PostOptions(
        visibility=visibility if visibility in Visibility.values else "",
        language=language_code(cleaned.get("language")),
    )


# --- what the composer preselects ----------------------------------------------------------


@dataclass(frozen=True)
class AccountDefaults:
    connection: Connection
    visibility: str  # "" when the server did not say
    language: str

    @property
    def visibility_label(self) -> str:
        return Visibility(self.visibility).label if self.visibility else "its server's default"


def account_defaults(connections: Iterable[Connection]) -> list[AccountDefaults]:
    """The posting defaults of each account that takes a visibility (from its cached limits)."""
    found = []
    for connection in connections:
        if connection.network not in VISIBILITY_NETWORKS:
            continue
        caps = capabilities_for(connection, fresh_within=POSTING_DEFAULTS_TTL)
        found.append(AccountDefaults(connection, caps.default_visibility,
                                     caps.default_language))
    return found


def browser_language(accept_language: str) -> str:
    """The first language of an Accept-Language header that is in the list ("" for none)."""
    for entry in accept_language.split(",")[:20]:
        code = language_code(entry.split(";", 1)[0])
        if code:
            return code
    return ""


def preselected(defaults: Sequence[AccountDefaults], ticked: Iterable[int],
                accept_language: str = "") -> PostOptions:
    """What a fresh composer shows: the ticked accounts' shared defaults (all of them when
    none is ticked yet), else each account's own; the language of those accounts, else the
    browser's. Accounts ticked but none of them Mastodon (a quote on Bluesky): the browser's,
    never the default of a Mastodon account that is not ticked."""
    chosen = set(ticked)
    relevant = [d for d in defaults if d.connection.pk in chosen] if chosen else list(defaults)
    visibilities = {d.visibility for d in relevant}
    visibility = visibilities.pop() if len(visibilities) == 1 else ""
    languages = {d.language for d in relevant if d.language}
    language = languages.pop() if len(languages) == 1 else ""
    return PostOptions(visibility=visibility,
                       language=language or browser_language(accept_language))
