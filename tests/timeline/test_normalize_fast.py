"""normalize()'s quicker steps give exactly what the plain ones give.

Each shortcut is compared here with the straightforward code it replaced, written out below as
the reference: the JSON encoder made once (json.dumps with the same options), the details
copied in one loop (a comprehension calling the copier on every key and value), clean_text's one
search (a search for each kind of character it changes), text_to_html's one paragraph when there is
no line break, and an item's id checked without clean_text when it is printable ASCII.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from hubbub.core import sanitize
from hubbub.core.sanitize import clean_text, text_to_html
from hubbub.timeline import normalize as norm
from tests.security.corpus import ALL
from tests.timeline.conftest import net_item

# --- references ---------------------------------------------------------------------------------

_SCALARS = (int, float, bool, type(None))


def reference_json_safe(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        if len(value) <= 2000 and value.isascii() and value.isprintable():
            return value
        return clean_text(value, max_chars=2000)
    if isinstance(value, _SCALARS):
        return value
    if depth > 5:
        return None
    if isinstance(value, Mapping):
        return {norm._key(k): v if type(v) in _SCALARS else reference_json_safe(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else reference_json_safe(v, depth + 1)
                for v in value[:100]]
    return str(value)[:200]


def reference_clean_text(text: str, max_chars: int = sanitize.MAX_TEXT_CHARS) -> str:
    if len(text) > max_chars:
        text = text[:max_chars] + sanitize.TRUNCATED
    text = sanitize._COMBINING_RUN.sub(r"\1", text)
    text = sanitize._SURROGATE.sub("\ufffd", text)
    text = sanitize._BIDI_OVERRIDE.sub("", text)
    return sanitize._CONTROL.sub("", text)


def reference_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reference_extra(details: Mapping[Any, Any]) -> tuple[dict[str, Any], str]:
    rest = {k: v for k, v in details.items() if k not in norm.PROMOTED}
    if not rest:
        return {}, "{}"
    safe = reference_json_safe(rest)
    encoded = reference_dumps(safe)
    if len(encoded) > norm.MAX_EXTRA_JSON:
        safe = {k: v for k, v in safe.items() if not isinstance(v, dict | list)}
        encoded = reference_dumps(safe)
        if len(encoded) > norm.MAX_EXTRA_JSON:
            safe, encoded = {}, "{}"
    return safe, encoded


def reference_text_to_html(text: str) -> str:
    if not text:
        return ""
    parts: list[str] = []
    position = 0
    for match in sanitize._LINK.finditer(text):
        url = match.group(0).rstrip(sanitize._TRAILING_PUNCTUATION)
        start, end = match.start(), match.start() + len(url)
        href = sanitize.safe_url(url)
        parts.append(html.escape(text[position:start], quote=False))
        shown = html.escape(url, quote=False)
        parts.append(f'<a href="{html.escape(href)}" rel="{sanitize.LINK_REL}" '
                     f'target="_blank">{shown}</a>' if href else shown)
        position = end
    parts.append(html.escape(text[position:], quote=False))
    body = "".join(parts)
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", body.strip("\n"))]
    return "".join(f"<p>{p}</p>" for p in paragraphs if p)


# --- generated values ---------------------------------------------------------------------------

_STRINGS = [p.value[:300] for p in ALL] + [
    "", "plain", "x" * 2000, "x" * 2001, "é", "\x00", "\t", "\n", "\u202e", "\u0301" * 7,
    "\ud800", "\u2028", '"quoted"', "back\\slash", "\x7f", "\x85", "日本語", "😀",
]


class _Odd:
    def __str__(self) -> str:
        return "odd"


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.35 or depth > 8:
        return rng.choice(_STRINGS)
    if roll < 0.55:
        return rng.choice([0, -1, 2**70, 1.5, -0.0, math.inf, -math.inf, math.nan, True, False,
                           None])
    if roll < 0.7:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if roll < 0.75:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    if roll < 0.8:
        return rng.choice([_Odd(), b"bytes", {1, 2}])
    mapping = {_mapping_key(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 6))}
    return MappingProxyType(mapping) if rng.random() < 0.1 else mapping


def _mapping_key(rng: random.Random) -> Any:
    return rng.choice([*_STRINGS[:40], "counts", "visibility", "feed", "media", "card",
                       "notification_id", 7, 1.5, None, True, "k" * 101, "é" * 120])


def _details(count: int, seed: int) -> list[dict[Any, Any]]:
    rng = random.Random(seed)
    return [{_mapping_key(rng): _value(rng) for _ in range(rng.randint(0, 9))}
            for _ in range(count)]


# --- the tests ----------------------------------------------------------------------------------


def test_dumps_writes_what_json_dumps_writes() -> None:
    for details in _details(3000, seed=1):
        safe = reference_json_safe(details)
        assert norm.dumps(safe) == reference_dumps(safe)
    for value in ([], {}, [1.0, 1e300, 2**64], {"é": "\u2028\x00"}, [math.nan, math.inf]):
        assert norm.dumps(value) == reference_dumps(value)


def test_details_are_copied_as_the_reference_copies_them() -> None:
    # repr, not ==: it tells 1 from True and 1.0, and NaN from nothing, and shows the order.
    for details in _details(3000, seed=2):
        assert repr(norm._extra(details)) == repr(reference_extra(details))
        assert repr(norm._json_safe(details)) == repr(reference_json_safe(details))
    deep: dict[str, Any] = {"leaf": "x"}
    for n in range(9):
        deep = {f"level{n}": deep, "list": [deep, ("t", deep)]}
    assert repr(norm._extra(deep)) == repr(reference_extra(deep))


def test_clean_text_gives_what_each_search_in_turn_gives() -> None:
    rng = random.Random(3)
    pieces = ["a", " ", "é", "\u0301", "\u0301" * 5, "\u202e", "\u2066", "\u200f", "\ud800",
              "\x00", "\x1f", "\x7f", "\t", "\n", "\r", "\x85", "😀", "日"]
    texts = _STRINGS + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
                        for _ in range(20_000)]
    for text in texts:
        assert clean_text(text) == reference_clean_text(text), repr(text)
        assert clean_text(text, max_chars=5) == reference_clean_text(text, 5), repr(text)
    # Every character that can change a text is in the first plane: each alone, and in a run.
    for point in range(0x10000):
        for text in (f"é{chr(point)}", f"é{chr(point) * 6}"):
            assert clean_text(text) == reference_clean_text(text), hex(point)


def test_text_to_html_gives_what_the_reference_gives() -> None:
    rng = random.Random(4)
    pieces = ["a", " ", "<", "&", ">", '"', "https://x.example/a", "http://y.test", "HTTPS://Z.T",
              ".", ")", "é", "\n", "\n\n", "\n\n\n", "www.z.example", "\u202e", "\x00"]
    texts = [p.value for p in ALL] + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
                                      for _ in range(10_000)]
    for text in texts:
        cleaned = clean_text(text)
        assert text_to_html(cleaned) == reference_text_to_html(cleaned), repr(cleaned)


@pytest.mark.parametrize("remote_id", ["r1", "abc DEF 123", "é", "a\x00", "a\ud800", "a\u202e",
                                       "a\t", " ", "~!@#$%^&*()", "a\x7f", "\u0301" * 6])
def test_an_id_is_refused_exactly_when_clean_text_would_change_it(remote_id: str) -> None:
    row = norm.normalize(replace(net_item(1), remote_id=remote_id))
    assert (row is None) == (clean_text(remote_id) != remote_id)
