"""`hubbub connect`, `connections`, `post` and `posts`: the accounts and posts of a person,
scripted without a browser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hubbub.cli_common import CLIError, emit, find_user, migrate


def _connection_json(c: Any) -> dict[str, Any]:
    return {"id": c.pk, "network": c.network, "handle": c.handle, "base_url": c.base_url,
            "remote_id": c.remote_id,
            "health": c.health, "health_detail": c.health_detail,
            "rate_limited_until": c.rate_limited_until}


def _metavar(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_").upper()


def _connect_parser(slug: str) -> tuple[argparse.ArgumentParser, Any]:
    """`hubbub connect SLUG ...`: options come from the connector's credential fields."""
    from hubbub.networks.registry import get_connector

    connector = get_connector(slug)
    parser = argparse.ArgumentParser(
        prog=f"hubbub connect {slug}",
        description=f"Connect a {connector.name} account without a browser.")
    parser.add_argument("--user", required=True)
    parser.add_argument("--json", action="store_true", help="print JSON")
    for field in connector.credential_fields:
        dest = field.name
        if field.kind == "lines":
            parser.add_argument(field.flag, dest=dest, action="append", default=[],
                                metavar=_metavar(field.flag), help=field.help or field.label,
                                required=field.required)
        elif field.kind == "secret":
            group = parser.add_mutually_exclusive_group(required=field.required)
            group.add_argument(field.flag, dest=dest, metavar=_metavar(field.flag),
                               help=f"{field.label} (- reads stdin)")
            group.add_argument(f"{field.flag}-stdin", dest=f"{dest}_stdin", action="store_true",
                               help=f"read the {field.label.lower()} from stdin")
            if field.empty_flag:
                group.add_argument(field.empty_flag, dest=f"{dest}_empty", action="store_true",
                                   help=field.help)
        else:
            parser.add_argument(field.flag, dest=dest, required=field.required,
                                metavar=_metavar(field.flag), help=field.help or field.label)
    return parser, connector


def cmd_connect(args: argparse.Namespace) -> int:
    from hubbub.connections.services import save_connection
    from hubbub.networks.errors import ConnectorError

    parser, connector = _connect_parser(args.network)
    options = parser.parse_args(args.rest)
    args.json = options.json
    migrate()
    user = find_user(options.user)
    base_url = ""
    credentials: dict[str, Any] = {}
    for field in connector.credential_fields:
        value = getattr(options, field.name, None)
        if field.kind == "secret":
            if getattr(options, f"{field.name}_stdin", False) or value == "-":
                value = sys.stdin.readline().strip()
            elif getattr(options, f"{field.name}_empty", False):
                value = ""
            elif value is None and field.empty_flag:
                raise CLIError(f"Give {field.flag}-stdin, or {field.empty_flag}.")
        if field.name == "base_url":
            base_url = value or ""
        elif value is not None:
            credentials[field.name] = value
    try:
        connected = connector.connect_with_token(base_url, credentials)
    except ConnectorError as exc:
        raise CLIError(f"Could not connect: {exc.message}") from None
    except ValueError as exc:
        raise CLIError(f"Could not connect: {exc}") from None
    connection = save_connection(user, args.network, connected)
    data = _connection_json(connection)
    text = f"connected {connection.handle} ({connection.network}) as connection {connection.pk}"
    if connected.notice:
        data["notice"] = connected.notice
        text += f"\n{connected.notice}"
    emit(args, data, text)
    return 0


def cmd_connections(args: argparse.Namespace) -> int:
    from hubbub.connections.services import connections_for

    user = find_user(args.user)
    rows = connections_for(user)
    lines = [f"{c.pk:>4}  {c.network:<10} {c.handle:<40} {c.health}" for c in rows]
    emit(args, [_connection_json(c) for c in rows],
          "\n".join(lines) if lines else "no connections")
    return 0


# --- posts ---------------------------------------------------------------------------------------
def _parse_when(value: str, tz: str) -> datetime:
    from zoneinfo import ZoneInfo

    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise CLIError(
            f"--at wants an ISO-8601 time like 2026-12-01T09:30, not {value!r}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    return when


def _post_json(post: Any) -> dict[str, Any]:
    from hubbub.publishing.services import post_status

    return {
        "id": post.pk, "text": post.text, "status": post_status(post),
        "scheduled_for": post.scheduled_for, "created_at": post.created_at,
        "visibility": post.visibility, "language": post.language,
        "targets": [
            {"delivery": d.pk, "connection": d.connection_id, "handle": d.connection.handle,
             "network": d.connection.network, "state": d.state, "due_at": d.due_at,
             "attempts": d.attempts, "url": d.remote_url, "error": d.last_error}
            for d in post.deliveries.select_related("connection").order_by("pk")
        ],
    }


def _post_options(visibility: str, language: str) -> Any:
    from hubbub.core.languages import language_code
    from hubbub.publishing.models import Visibility
    from hubbub.publishing.post_options import BAD_LANGUAGE, BAD_VISIBILITY, PostOptions

    if visibility not in Visibility.values:
        raise CLIError(BAD_VISIBILITY + " (--visibility public, unlisted, private or direct)")
    code = language_code(language) if language.strip() else ""
    if language.strip() and not code:
        raise CLIError(BAD_LANGUAGE.replace("pick one from the list", "give a code"))
    return PostOptions(visibility=visibility, language=code)


def cmd_post(args: argparse.Namespace) -> int:
    from hubbub.accounts.models import Profile
    from hubbub.connections.services import find_connection
    from hubbub.publishing.outgoing import Outgoing
    from hubbub.publishing.services import PostError, create_from

    migrate()
    user = find_user(args.user)
    profile, _ = Profile.objects.get_or_create(user=user)
    connections = []
    for ref in args.to:
        connection = find_connection(user, ref)
        if connection is None:
            raise CLIError(f"No connection {ref!r}; see: hubbub connections --user {args.user}")
        connections.append(connection)
    text = sys.stdin.read() if args.text == "-" else args.text
    when = _parse_when(args.at, profile.timezone) if args.at else None
    options = _post_options(args.visibility, args.language)
    outgoing = Outgoing(text=text, targets=tuple(connections), content_warning=args.cw or "",
                        scheduled_for=when, tz=profile.timezone,
                        visibility=options.visibility, language=options.language)
    try:
        post = create_from(user, outgoing)  # the options go in with the post's own row
    except PostError as exc:
        raise CLIError(str(exc)) from None
    data = _post_json(post)
    emit(args, data, f"post {post.pk} {'scheduled for ' + str(when) if when else 'queued'} "
                      f"to {', '.join(c.handle for c in connections)}")
    return 0


def cmd_posts(args: argparse.Namespace) -> int:
    from hubbub.publishing.models import Post

    user = find_user(args.user)
    posts = list(Post.objects.filter(user=user).order_by("-created_at")[: args.limit])
    data = [_post_json(p) for p in posts]
    lines = []
    for item in data:
        lines.append(f"#{item['id']} [{item['status']}] {item['text'][:60]!r}")
        for t in item["targets"]:
            extra = t["url"] or t["error"]
            lines.append(f"    {t['handle']:<36} {t['state']:<10} {extra}")
    emit(args, data, "\n".join(lines) if lines else "no posts")
    return 0


def add_content_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """`connect`, `connections`, `post` and `posts` on the `hubbub` parser."""
    from hubbub.networks.registry import CONNECTORS

    p = sub.add_parser(
        "connect", add_help=False,
        help="connect an account without a browser (a token, an app password, a key)",
        description="hubbub connect NETWORK --help lists what each network needs.")
    p.set_defaults(func=cmd_connect)
    p.add_argument("network", choices=list(CONNECTORS))
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = add("connections", cmd_connections, "list a user's connections")
    p.add_argument("--user", required=True)
    p = add("post", cmd_post, "post now or at a time to one or more connections")
    p.add_argument("--user", required=True)
    p.add_argument("--to", action="append", required=True, help="connection id or handle")
    p.add_argument("--at", help="ISO-8601 time; without a zone, the user's zone")
    p.add_argument("--cw", help="content warning")
    p.add_argument("--visibility", default="",
                   help="who sees it on Mastodon: public, unlisted, private (followers only) or "
                        "direct (mentioned people only); default: each account's own default")
    p.add_argument("--language", default="",
                   help="the post's language, an ISO 639-1 code such as en (sent to Mastodon, "
                        "Bluesky and Nostr)")
    p.add_argument("text", help="the text, or - to read it from stdin")
    p = add("posts", cmd_posts, "list a user's posts and the status of each target")
    p.add_argument("--user", required=True)
    p.add_argument("--limit", type=int, default=50)
