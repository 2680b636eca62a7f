"""What connecting an account takes and gives, as the connector contract (base.py) passes it:
the fields a person types, the operator's registered app, the first leg of an interactive
sign-in and what a finished one returns. Frozen values, no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class CredentialField:
    """One thing a person types to connect without a browser redirect (an app password, a key,
    or for OAuth networks an existing token, on the command line). The web form and the CLI are
    built from these, so generic code never names a network.

    `name` is the key in the credentials dict given to connect_with_token, except "base_url",
    which is passed as the base_url argument. kind "lines" gives a list (one item a line, or
    one per repeated CLI flag)."""

    name: str
    label: str
    flag: str  # the CLI option, e.g. "--app-password"
    kind: Literal["text", "url", "secret", "lines"] = "text"
    required: bool = True
    help: str = ""
    placeholder: str = ""
    # For optional secrets: a CLI flag that says "leave it empty on purpose" (e.g. --generate).
    empty_flag: str = ""


@dataclass(frozen=True)
class AppCredentials:
    """The app the hub's operator registered with a network (X, LinkedIn, Meta): its id and
    secret, from the environment or the owner's settings page (connections/network_apps.py)."""

    network: str  # "x", "linkedin", "facebook", "instagram", "threads"
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Identity:
    remote_id: str
    handle: str  # as the network writes it, e.g. @alice@example.social
    display_name: str = ""
    avatar_url: str = ""
    profile_url: str = ""


@dataclass(frozen=True)
class AuthStart:
    """First leg of an interactive connect: send the person to redirect_url; keep state_data
    (server side, in the session) to finish the flow."""

    redirect_url: str
    state: str
    state_data: dict[str, Any]


@dataclass(frozen=True)
class Connected:
    """A finished connect: credentials to store encrypted, and who they belong to."""

    base_url: str
    credentials: dict[str, Any]
    identity: Identity
    # Something the person must see once, now (e.g. a secret key the hub generated for them).
    notice: str = ""
    # Other accounts the same sign-in may act as (pages the person administers), offered for
    # the person to pick; each one picked is saved as a connection of its own.
    other_accounts: tuple[Connected, ...] = ()
