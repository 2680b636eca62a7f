"""The `hubbub` command: run the hub and script it."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


class CLIError(Exception):
    """A problem the person can fix; printed without a traceback, exit status 2."""


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        print(text)


def _user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise CLIError(f"No user named {name!r}. Create one with: hubbub createuser {name}")
    return user


# --- serve / worker ------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from django.conf import settings

    from hubbub.core.uvicorn_protocol import protocol_with_head_timeout
    from hubbub.jobs.worker import HubWorker

    # The address is taken first, before the database or the worker: a port another program
    # holds is said in a sentence, and nothing has started that would have to be stopped.
    sock = _bind(args.host, args.port)
    _migrate()
    worker = HubWorker(concurrency=args.concurrency)
    if not args.web_only:
        worker.start()
    url = f"http://{args.host if ':' not in args.host else f'[{args.host}]'}:{args.port}"
    print(f"hubbub is running at {url}", flush=True)
    print(f"data directory: {settings.DATA_DIR}", flush=True)
    try:
        # proxy_headers off: which proxies are believed is the hub's own HUBBUB_TRUSTED_PROXIES
        # (asgi.py), not uvicorn's FORWARDED_ALLOW_IPS, which trusts loopback by default.
        config = uvicorn.Config(
            "hubbub.asgi:application", host=args.host, port=args.port,
            log_level="warning", lifespan="off", proxy_headers=False,
            http=protocol_with_head_timeout(settings.HUBBUB_HEADER_TIMEOUT_SECONDS,
                                            linger=settings.HUBBUB_BODY_TIMEOUT_SECONDS))
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        worker.stop()
        sock.close()
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for uvicorn to listen on, or a CLIError saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CLIError(
                f"port {port} on {host} is already in use by another program: stop it, or "
                f"start hubbub on another port (--port, or HUBBUB_PORT).") from None
        if exc.errno == errno.EACCES:
            raise CLIError(f"port {port} on {host} needs more privileges than this user has: "
                           f"use a port above 1023.") from None
        raise CLIError(f"cannot listen on {host} port {port}: {exc.strerror}.") from None
    sock.set_inheritable(True)
    return sock


def cmd_worker(args: argparse.Namespace) -> int:
    from hubbub.jobs.worker import HubWorker

    if not args.no_migrate:
        _migrate()
    worker = HubWorker(concurrency=args.concurrency)

    def _stop(signum: int, _frame: object) -> None:
        worker.stop(timeout=0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.start()
    print(f"hubbub worker {worker.worker_id} started", flush=True)
    worker.wait()
    worker.stop()
    return 0


# --- users and connections -----------------------------------------------------------------------
def cmd_createuser(args: argparse.Namespace) -> int:
    import getpass

    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from hubbub.accounts.models import Profile

    _migrate()
    user_model = get_user_model()
    if user_model.objects.filter(username=args.name).exists():
        raise CLIError(f"A user named {args.name!r} already exists.")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CLIError("The two passwords differ.")
    candidate = user_model(username=args.name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise CLIError(" ".join(exc.messages)) from None
    is_first = not user_model.objects.exists()
    user = user_model.objects.create_user(args.name, password=password)
    if is_first:
        user.is_staff = user.is_superuser = True
        user.save()
    Profile.objects.get_or_create(user=user, defaults={"timezone": args.timezone})
    _emit(args, {"id": user.pk, "username": user.username}, f"created user {user.username}")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    from hubbub.accounts.throttle import unlock

    _migrate()
    _user(args.name)
    try:
        cleared = unlock(args.name, address=args.address)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    where = f" and from {args.address}" if args.address else ""
    _emit(args, {"username": args.name, "address": args.address, "cleared_failures": cleared},
          f"cleared {cleared} failed login{'' if cleared == 1 else 's'} of {args.name}{where}")
    return 0


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
    _migrate()
    user = _user(options.user)
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
    _emit(args, data, text)
    return 0


def cmd_connections(args: argparse.Namespace) -> int:
    from hubbub.connections.services import connections_for

    user = _user(args.user)
    rows = connections_for(user)
    lines = [f"{c.pk:>4}  {c.network:<10} {c.handle:<40} {c.health}" for c in rows]
    _emit(args, [_connection_json(c) for c in rows],
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

    _migrate()
    user = _user(args.user)
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
    _emit(args, data, f"post {post.pk} {'scheduled for ' + str(when) if when else 'queued'} "
                      f"to {', '.join(c.handle for c in connections)}")
    return 0


def cmd_posts(args: argparse.Namespace) -> int:
    from hubbub.publishing.models import Post

    user = _user(args.user)
    posts = list(Post.objects.filter(user=user).order_by("-created_at")[: args.limit])
    data = [_post_json(p) for p in posts]
    lines = []
    for item in data:
        lines.append(f"#{item['id']} [{item['status']}] {item['text'][:60]!r}")
        for t in item["targets"]:
            extra = t["url"] or t["error"]
            lines.append(f"    {t['handle']:<36} {t['state']:<10} {extra}")
    _emit(args, data, "\n".join(lines) if lines else "no posts")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from django.conf import settings

    from hubbub.connections.keys import reencrypt_all
    from hubbub.core.datadir import rotate_fernet_keys
    from hubbub.core.env import env_list

    if not env_list("HUBBUB_FERNET_KEYS"):
        # Keys live in the data dir: make a new one. With keys from the environment the operator
        # has already put the new key first; all that is left is re-encrypting.
        settings.FERNET_KEYS = rotate_fernet_keys(settings.DATA_DIR).fernet_keys
    count = reencrypt_all()
    _emit(args, {"reencrypted": count}, f"new key in use; re-encrypted {count} secrets")
    return 0


def cmd_apps(args: argparse.Namespace) -> int:
    """The network apps the operator registers (X, LinkedIn, Meta): list, set, remove, check."""
    from hubbub.connections import apps_cli

    _migrate()
    action = getattr(args, "apps_action", None)
    data: Any
    try:
        if action == "set":
            data, text = apps_cli.set_app(args.network, args.client_id, args.client_secret_file)
        elif action == "remove":
            data, text = apps_cli.remove_app(args.network)
        elif action == "check":
            data, text = apps_cli.check_app(args.network)
        else:
            data, text = apps_cli.list_apps()
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    _emit(args, data, text)
    return 0


def _add_apps(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("apps", cmd_apps, "the apps X, LinkedIn and Meta need registered by the operator: "
            "list their status, or set, remove or check one")
    actions = p.add_subparsers(dest="apps_action")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=help_text, description=help_text)
        a.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                       help="print JSON")
        a.add_argument("network", metavar="NETWORK",
                       help="x, linkedin, facebook, instagram or threads")
        return a

    a = action("set", "save a network's app (the environment's, when set, still wins)")
    a.add_argument("--client-id", required=True, help="the app's client id (Meta: app ID)")
    a.add_argument("--client-secret-file", metavar="PATH",
                   help="a file holding the secret, or - for stdin; without it the stored "
                        "secret is kept")
    action("remove", "forget the app saved for a network")
    action("check", "ask the network whether it accepts the app, where it can say")


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hubbub manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    from hubbub.networks.registry import CONNECTORS
    parser = argparse.ArgumentParser(prog="hubbub", description="Self-hosted social media hub")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_text: str,
            json_flag: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=fn)
        return p

    p = add("serve", cmd_serve, "run the hub: web server, worker and scheduler", json_flag=False)
    p.add_argument("--host", default=os.environ.get("HUBBUB_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("HUBBUB_PORT", "8000")))
    p.add_argument("--concurrency", type=int, default=1, help="task runner threads")
    p.add_argument("--web-only", action="store_true",
                   help="no worker threads (many-machines profile: run `hubbub worker` elsewhere)")
    p = add("worker", cmd_worker, "run only the background worker", json_flag=False)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--no-migrate", action="store_true")
    p = add("createuser", cmd_createuser, "create a user")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--timezone", default="UTC")
    p = add("unlock", cmd_unlock, "clear a user's failed logins, ending their waits to log in")
    p.add_argument("name")
    p.add_argument("--address", help="also clear every failed login from this IP address")
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
    add("rotate-keys", cmd_rotate_keys, "start encrypting with a new key; re-encrypt all tokens")
    _add_apps(add)
    p = add("manage", cmd_manage, "run a Django management command", json_flag=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _setup_django()
        result: int = args.func(args)
        return result
    except CLIError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": str(exc)}))
        else:
            print(f"hubbub: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
