"""Every URL the hub serves, signed in with real data behind it, asked with hostile values in
every form and query parameter the code reads (and in every numeric path segment): a 30-digit
id, a negative one, NUL, a lone surrogate, an invalid UTF-8 byte, 100,000 characters, a repeated
parameter (an array) and PHP-style brackets. The answer may be a refusal, never a 500.

The parameter names are gathered from the code itself (every `request.GET/POST.get("...")` and
every field of every form class), so a new parameter is fuzzed without anyone listing it.

The URLs are asked in PARTS shares, one test file each (test_param_fuzz_1.py ...): a few
thousand requests each, so pytest-xdist's workers (which keep a file's tests together) share
them."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

import pytest
from django import forms
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import hubbub
from tests.planning.seed import seed
from tests.web.conftest import PASSWORD

SRC = Path(hubbub.__file__).parent
HUGE = "9" * 30
# Each value goes into a query string or a form body already percent-encoded: a lone surrogate
# cannot be encoded as UTF-8 at all, so it arrives as the bytes a hostile client would send.
VALUES = {
    "huge": HUGE,
    "negative-huge": "-" + HUGE,
    "negative": "-1",
    "float": "1e309",
    "nul": "%00",
    "surrogate": "%ED%A0%80",
    "invalid-utf8": "%FF%FE",
    "long": "x" * 100_000,
    "digits-arabic": quote("١٢٣"),
    "digits-superscript": quote("²³"),  # str.isdigit() says yes, int() says no
    "empty": "",
}
SKIP_NAMES = {"events"}  # the live SSE stream never ends: tests/deck cover it


def parameter_names() -> list[str]:
    """Every parameter the hub reads: request.GET/POST lookups and every form's fields."""
    names: set[str] = set()
    lookup = re.compile(r"request\.(?:GET|POST)\.(?:get|getlist)\(\s*\"([A-Za-z0-9_]+)\"")
    for path in SRC.rglob("*.py"):
        names.update(lookup.findall(path.read_text()))
    for module in pkgutil.walk_packages([str(SRC)], "hubbub."):
        if module.name.endswith(".forms") or ".forms." in module.name:
            importlib.import_module(module.name)

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for form in subclasses(forms.BaseForm):
        if form.__module__.startswith("hubbub."):
            names.update(getattr(form, "base_fields", {}))
    return sorted(names)


def url_patterns() -> list[tuple[str, str]]:
    """(module, route) for every URL: the view's module and the route with converters left in."""
    found: list[tuple[str, str]] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name not in SKIP_NAMES:
                found.append((p.callback.__module__, f"{prefix}{p.pattern}"))

    walk(get_resolver(), "/")
    return found


def names_near(module: str, names: list[str]) -> list[str]:
    """The parameters the view's own app mentions (as a string or a form field): one at a time,
    those are the ones a view may read before another and refuse early."""
    parts = module.split(".")
    if parts[0] != "hubbub" or len(parts) < 3:
        return names
    text = "\n".join(p.read_text() for p in (SRC / parts[1]).rglob("*.py"))
    return [n for n in names if f'"{n}"' in text or f"{n} = " in text]


def fill(route: str, number: str) -> str:
    """The route with every <int:…> as `number` and other converters as plain words."""
    path = re.sub(r"<int:[a-z_]+>", number, route)
    path = re.sub(r"<slug:[a-z_]+>", "mastodon", path)
    return re.sub(r"<(?:str|path):[a-z_]+>", "x", path)


@pytest.fixture
def signed_in(db: None, client: Client) -> Client:
    owner = User.objects.create_user("ada", password=PASSWORD, is_superuser=True)
    seed("ada")  # posts, deliveries, queues with slots and entries, a recurring rule
    client.force_login(owner)
    client.get("/deck/")  # the default deck and its columns
    client.raise_request_exception = False
    return client


def _query(names: list[str], value: str) -> str:
    return "&".join(f"{name}={value}" for name in names)


PARTS = 3


def no_parameter_value_answers_500(signed_in: Client, part: int) -> None:
    """Every URL of share `part` (of PARTS), every value: a refusal, never a 500."""
    names = parameter_names()
    assert {"targets", "text", "page", "before"} <= set(names)  # the gathering works
    failures: list[str] = []

    cookies = signed_in.cookies

    def ask(method: str, path: str, body: str = "") -> int:
        # Each request is undone afterwards (a savepoint rolled back, the session cookie put
        # back), so a delete or a log-out does not leave later URLs nothing to work on.
        with transaction.atomic():
            if method == "GET":
                response = signed_in.get(path)
            else:
                response = signed_in.generic(
                    "POST", path, body.encode("ascii"),
                    content_type="application/x-www-form-urlencoded")
            transaction.set_rollback(True)
        signed_in.cookies = SimpleCookie(cookies.output(header="", sep="\n"))
        if response.status_code >= 500:
            failures.append(f"{method} {path[:100]} body={body[:60]!r} -> "
                            f"{response.status_code}")
        return response.status_code

    urls = url_patterns()
    assert len(urls) > 100  # the gathering works
    for module, route in urls[part::PARTS]:
        for number in ("1", HUGE):
            path = fill(route, number)
            # A method the URL refuses as such (405) is not asked again with each parameter.
            methods = [m for m in ("GET", "POST") if ask(m, path) != 405]
            bodies = [_query(names, value) for value in VALUES.values()]
            if number == "1":  # one at a time too: a bad value first may hide a later one
                bodies += [f"{name}={HUGE}" for name in names_near(module, names)]
            # A repeated parameter and PHP-style brackets.
            bodies.append("&".join(f"{n}=1&{n}=2&{n}[]=3" for n in names))
            for body in bodies:
                if "GET" in methods:
                    ask("GET", f"{path}?{body}")
                if "POST" in methods:
                    ask("POST", path, body)
    assert not failures, f"{len(failures)} answers were 500:\n" + "\n".join(failures[:80])
