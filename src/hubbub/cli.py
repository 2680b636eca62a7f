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
from typing import Any

from hubbub.cli_common import CLIError, emit, find_user, migrate
from hubbub.cli_posts import add_content_commands

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()


# --- serve / worker ------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from django.conf import settings

    from hubbub.core.uvicorn_protocol import protocol_with_head_timeout
    from hubbub.jobs.worker import HubWorker

    # The address is taken first, before the database or the worker: a port another program
    # holds is said in a sentence, and nothing has started that would have to be stopped.
    sock = _bind(args.host, args.port)
    migrate()
    worker = HubWorker(concurrency=args.concurrency)

    class Server(uvicorn.Server):
        """Starts the worker once the socket listens, before the first request is read: its
        threads' first rounds no longer run while the web app loads."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit and not args.web_only:
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
        Server(config).run(sockets=[sock])
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
        migrate()
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

    migrate()
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
    emit(args, {"id": user.pk, "username": user.username}, f"created user {user.username}")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    from hubbub.accounts.throttle import unlock

    migrate()
    find_user(args.name)
    try:
        cleared = unlock(args.name, address=args.address)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    where = f" and from {args.address}" if args.address else ""
    emit(args, {"username": args.name, "address": args.address, "cleared_failures": cleared},
          f"cleared {cleared} failed login{'' if cleared == 1 else 's'} of {args.name}{where}")
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
    emit(args, {"reencrypted": count}, f"new key in use; re-encrypted {count} secrets")
    return 0


def cmd_apps(args: argparse.Namespace) -> int:
    """The network apps the operator registers (X, LinkedIn, Meta): list, set, remove, check."""
    from hubbub.connections import apps_cli

    migrate()
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
    emit(args, data, text)
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
    add_content_commands(sub, add)
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
