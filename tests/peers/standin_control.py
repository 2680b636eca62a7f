"""The test-only control surface the network stand-ins (tests/peers/x, tests/peers/linkedin,
tests/peers/facebook) share under /_standin/: on the server side the dispatch, body checks and
the actions every stand-in has (reset, health, faults, settings, reading back a log); on the
test side `StandInPeer`, the base of XPeer, LinkedInPeer and FacebookPeer (the control calls
they share, starting and stopping the process).

What a stand-in seeds, stores and reports is its own business: each keeps its actions in its
own control.py and passes them here.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, urlsplit

import requests

from tests.peers.process import PeerProcess

ROOT = Path(__file__).resolve().parents[2]

Action = Callable[[Any, dict[str, str], dict[str, Any]], Any]


class ControlError(Exception):
    """A control request the stand-in cannot carry out: answered 400 with the reason."""


class ControlStore(Protocol):
    lock: Any
    faults: list[Any]
    release: Any

    def clear(self) -> None: ...


def need(body: dict[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if n not in body]
    if missing:
        raise ControlError(f"missing {', '.join(missing)}")
    return [body[n] for n in names]


def lookup[T](items: dict[str, T], key: Any, what: str) -> T:
    """items[str(key)], or ControlError "no {what} {key}"."""
    found = items.get(str(key))
    if found is None:
        raise ControlError(f"no {what} {key}")
    return found


def parse(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ControlError("the control body must be a JSON object")
    return value


def handle(store: ControlStore, actions: dict[tuple[str, str], Action], method: str,
           path: str, query: dict[str, str], body: dict[str, Any]) -> Any:
    action = actions.get((method, path.removeprefix("/_standin/")))
    if action is None:
        raise ControlError(f"no control action {method} {path}")
    with store.lock:
        return action(store, query, body)


def answer(store: ControlStore, actions: dict[tuple[str, str], Action], method: str,
           path: str, query: dict[str, str], raw: bytes) -> tuple[int, Any]:
    """(status, body) for a control request: 200 and the action's result, or 400 and
    {"error": why} when the body or the action is wrong."""
    try:
        return 200, handle(store, actions, method, path, query, parse(raw))
    except (ControlError, ValueError, KeyError, TypeError) as exc:
        return 400, {"error": str(exc)}


def reset(store: ControlStore, q: dict[str, str], b: dict[str, Any]) -> Any:
    store.clear()
    return {"reset": True}


def health(store: ControlStore, q: dict[str, str], b: dict[str, Any]) -> Any:
    return {"ok": True}


def arm_fault(store: ControlStore, b: dict[str, Any], kinds: set[str],
              fault: Callable[..., Any], path: Callable[[str], str] = str) -> Any:
    """Arm fault `b` (method, path, kind, count, options) if its kind is one of `kinds`;
    `path` turns the given path into the one the stand-in matches."""
    method, where, kind = need(b, "method", "path", "kind")
    if str(kind) not in kinds:
        raise ControlError(f"fault kind {kind!r} is not one of {sorted(kinds)}")
    store.faults.append(fault(str(method).upper(), path(str(where)), str(kind),
                              int(b.get("count", 1)), dict(b.get("options") or {})))
    return {"armed": len(store.faults)}


def clear_faults(store: ControlStore, q: dict[str, str], b: dict[str, Any]) -> Any:
    """Disarm every fault and let every held connection go."""
    store.faults.clear()
    store.release.set()
    store.release = type(store.release)()
    return {"cleared": True}


def apply_settings(store: ControlStore, b: dict[str, Any],
                   settings: dict[str, type | tuple[type, ...]],
                   check: Callable[[str, Any], None] | None = None) -> Any:
    """Set each of `b` that `settings` knows with its type (and `check` accepts); answers
    every setting's value."""
    for name, value in b.items():
        kinds = settings.get(name)
        if kinds is None or not isinstance(value, kinds):
            raise ControlError(f"setting {name}={value!r} is not known or of the wrong type")
        if check is not None:
            check(name, value)
        setattr(store, name, value)
    return {k: getattr(store, k) for k in settings}


def expire_now(tokens: Iterable[Any], codes: Iterable[Any],
               expires: Callable[[Any], bool]) -> Any:
    """Every token `expires` picks expires now, and every code not yet exchanged; answers
    how many tokens."""
    past, count = time.time() - 1, 0
    for token in tokens:
        if expires(token):
            token.expires_at = past
            count += 1
    for code in codes:
        code.expires_at = min(code.expires_at, past)
    return {"expired": count}


def drained(found: list[Any], q: dict[str, str]) -> list[Any]:
    """A copy of a stand-in's log; emptied when the query asks clear=1."""
    copy = list(found)
    if q.get("clear") in {"1", "true"}:
        found.clear()
    return copy


# --- the test side ---------------------------------------------------------------------------
def callback_params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


class StandInPeer:
    """A running stand-in process and the control calls every stand-in answers. Subclasses
    name their process and server module and add their network's own calls."""

    process_name = ""
    server_module = ""

    def __init__(self, process: PeerProcess) -> None:
        self.process = process
        self.http = requests.Session()
        self.http.trust_env = False

    @classmethod
    def start(cls) -> Self:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        process = PeerProcess(
            cls.process_name,
            [sys.executable, "-m", cls.server_module, "--port", "{port}"],
            ready_path="/_standin/health", env={"PYTHONPATH": path}, grace_period=3.0)
        process.start()
        return cls(process)

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def _call(self, method: str, action: str, body: dict[str, Any] | None = None,
              params: dict[str, str] | None = None) -> Any:
        response = self.http.request(method, f"{self.base_url}/_standin/{action}",
                                     json=body, params=params, timeout=30)
        if response.status_code != 200:
            raise AssertionError(f"stand-in control {action}: {response.text}")
        return response.json()

    def _log(self, action: str, clear: bool | None = None) -> list[dict[str, Any]]:
        params = None if clear is None else {"clear": "1" if clear else "0"}
        result: list[dict[str, Any]] = self._call("GET", action, params=params)
        return result

    def reset(self) -> None:
        """Forget everything seeded, stored, armed and set."""
        self._call("POST", "reset")

    def fail_next(self, method: str, path: str, kind: str, count: int = 1,
                  **options: Any) -> None:
        """The next `count` requests of METHOD PATH (concrete or a template) fail as `kind`
        says (the kinds each stand-in knows are in its class's docstring)."""
        self._call("POST", "faults", {"method": method, "path": path, "kind": kind,
                                      "count": count, "options": options})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def settings(self, **values: Any) -> dict[str, Any]:
        """Change settings (names and defaults in the subclass's docstring); answers all."""
        result: dict[str, Any] = self._call("POST", "settings", values)
        return result

    def requests(self) -> list[dict[str, Any]]:
        """Every request seen, in order, with the status it got."""
        return self._log("requests")

    def close(self) -> None:
        self.http.close()
        self.process.stop()
