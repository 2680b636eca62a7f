"""X's counter against twitter-text's own conformance data (issue 10), read from the files as
published (tests/unit/data/twitter-text/, NOTICE there), never restated: every case of the v3
weighted-length sections of validate.yml (weighted length, validity, permillage, display and
valid ranges) and every link case of extract.yml (which links X finds, and where).

validate.yml's other sections test other APIs of twitter-text (isValidUrl checks a URL's
syntax, not what a post's counter finds; usernames, lists and hashtags are not counted) and its
WeightedTweetsCounterTest runs the v2 configuration, which X no longer uses.

The files are YAML; PyYAML is no dependency of the hub, so `load` below reads the part of YAML
they are written in and fails, naming the line, on anything else.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from hubbub.core import counting_x
from hubbub.core.counting import count_text, x_parse, x_urls

DATA = Path(__file__).parent / "data" / "twitter-text"


# --- the YAML the conformance files use -------------------------------------------------------

_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
            "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$")


class Unsupported(ValueError):
    """YAML beyond what the conformance files use."""


def _quoted(text: str, where: str) -> tuple[str, str]:
    """A double-quoted scalar at the start of text, and what follows it on the line."""
    out: list[str] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), text[i + 1 :]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        escape = text[i + 1 : i + 2]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            i += 2
        elif escape in _HEX_DIGITS:
            digits = text[i + 2 : i + 2 + _HEX_DIGITS[escape]]
            out.append(chr(int(digits, 16)))
            i += 2 + len(digits)
        else:
            raise Unsupported(f"{where}: unknown escape \\{escape}")
    raise Unsupported(f"{where}: a quoted string runs past its line")


def _plain(text: str, where: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    raise Unsupported(f"{where}: unquoted {text!r} is neither true, false nor a number")


def _scalar(text: str, where: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        value, rest = _quoted(text, where)
        if rest.strip():
            raise Unsupported(f"{where}: text after a quoted string: {rest!r}")
        return value
    if not text.startswith("["):
        return _plain(text, where)
    items: list[Any] = []
    rest = text[1:].strip()
    while not rest.startswith("]"):
        if rest.startswith('"'):
            value, rest = _quoted(rest, where)
        else:
            plain = re.match(r"[^,\]]+", rest)
            if plain is None:
                raise Unsupported(f"{where}: cannot read {rest!r}")
            value, rest = _plain(plain.group().strip(), where), rest[plain.end() :]
        items.append(value)
        rest = rest.strip().removeprefix(",").strip()
    if rest[1:].strip():
        raise Unsupported(f"{where}: text after a list: {rest!r}")
    return items


def _block(lines: list[tuple[int, str, str]], at: int) -> tuple[Any, int]:
    """The mapping or sequence whose first line is lines[at] (None when the next line is not
    indented deeper than its key, which is an empty value)."""
    indent = lines[at][0]
    if lines[at][1].startswith("- "):
        items = []
        while at < len(lines) and lines[at][0] == indent and lines[at][1].startswith("- "):
            # "- key: value" opens a mapping whose keys line up after the dash.
            _, text, where = lines[at]
            lines[at] = (indent + 2, text[2:], where)
            item, at = _block(lines, at)
            items.append(item)
        return items, at
    mapping: dict[str, Any] = {}
    while at < len(lines) and lines[at][0] == indent:
        _, text, where = lines[at]
        key = _KEY.match(text)
        if key is None:
            raise Unsupported(f"{where}: expected 'key: value', got {text!r}")
        at += 1
        if key.group(2) and key.group(2).strip():
            mapping[key.group(1)] = _scalar(key.group(2), where)
        elif at < len(lines) and lines[at][0] > indent:
            mapping[key.group(1)], at = _block(lines, at)
        else:
            mapping[key.group(1)] = None
    if at < len(lines) and lines[at][0] > indent:
        raise Unsupported(f"{lines[at][2]}: indented deeper than the mapping it follows")
    return mapping, at


def load(path: Path) -> Any:
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append((len(line) - len(line.lstrip(" ")), stripped, f"{path.name}:{number}"))
    value, end = _block(lines, 0)
    if end != len(lines):
        raise Unsupported(f"{lines[end][2]}: not read")
    return value


def test_the_reader_reads_what_the_files_use_and_refuses_the_rest(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text('tests:\n  a:\n    - description: "x \\u00e9\\U0001F600\\n"\n'
                    "      expected:\n        - url: \"u\"\n          indices: [1, 2]\n"
                    "      other:\n    - text: \"y\"\n      expected: [\"p\",\"q\"]\n")
    assert load(good) == {"tests": {"a": [
        {"description": "x \u00e9\U0001f600\n", "expected": [{"url": "u", "indices": [1, 2]}],
         "other": None},
        {"text": "y", "expected": ["p", "q"]},
    ]}}
    for bad in ["a: 'single quoted'", "a: |\n  block", "a: yes", 'a: "\\q"']:
        (tmp_path / "bad.yml").write_text(bad + "\n")
        with pytest.raises(Unsupported, match=r"bad\.yml:1"):
            load(tmp_path / "bad.yml")


# --- the configuration -------------------------------------------------------------------------


def test_our_constants_are_twitter_texts_v3_configuration() -> None:
    config = json.loads((DATA / "v3.json").read_text())
    assert config["version"] == 3
    assert config["maxWeightedTweetLength"] == counting_x.X_MAX_WEIGHTED_LENGTH == 280
    assert config["transformedURLLength"] == counting_x.X_URL_LENGTH == 23
    assert config["emojiParsingEnabled"] is True
    assert config["defaultWeight"] == 2 * config["scale"]  # what counting_x.weight gives outside
    light = [(r["start"], r["end"]) for r in config["ranges"] if r["weight"] == config["scale"]]
    assert len(light) == len(config["ranges"])  # every range weighs 1
    for code_point in range(0x3000):  # every boundary lies below U+3000
        inside = any(start <= code_point <= end for start, end in light)
        assert counting_x.weight(chr(code_point)) == (1 if inside else 2), hex(code_point)


# --- validate.yml: the weighted length ---------------------------------------------------------

_VALIDATE = load(DATA / "validate.yml")["tests"]
V3_SECTIONS = ["WeightedTweetsWithDiscountedEmojiCounterTest",
               "UnicodeDirectionalMarkerCounterTest"]
WEIGHTED = [(section, case) for section in V3_SECTIONS for case in _VALIDATE[section]]


def test_every_v3_case_is_read() -> None:
    assert [len(_VALIDATE[section]) for section in V3_SECTIONS] == [22, 2]
    assert all(set(case["expected"]) == {
        "weightedLength", "valid", "permillage", "displayRangeStart", "displayRangeEnd",
        "validRangeStart", "validRangeEnd"} for _, case in WEIGHTED)


@pytest.mark.parametrize(("section", "case"), WEIGHTED,
                         ids=[f"{s[:8]}-{c['description'][:50]}" for s, c in WEIGHTED])
def test_weighted_length_validity_and_ranges(section: str, case: dict[str, Any]) -> None:
    parsed = x_parse(case["text"])
    assert {
        "weightedLength": parsed.weighted_length,
        "valid": parsed.valid,
        "permillage": parsed.permillage,
        "displayRangeStart": parsed.display_range[0],
        "displayRangeEnd": parsed.display_range[1],
        "validRangeStart": parsed.valid_range[0],
        "validRangeEnd": parsed.valid_range[1],
    } == case["expected"]
    assert count_text("x", case["text"]) == case["expected"]["weightedLength"]


# --- extract.yml: the links ---------------------------------------------------------------------

_EXTRACT = load(DATA / "extract.yml")["tests"]
URL_SECTIONS = ["urls", "urls_with_indices", "urls_with_directional_markers",
                "tco_urls_with_params"]
LINKS = [(section, case) for section in URL_SECTIONS for case in _EXTRACT[section]]


def test_every_link_case_is_read() -> None:
    assert [len(_EXTRACT[section]) for section in URL_SECTIONS] == [91, 10, 2, 5]


def _utf16_index(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le", "surrogatepass")) // 2


@pytest.mark.parametrize(("section", "case"), LINKS,
                         ids=[f"{s}-{c['description'][:60]}" for s, c in LINKS])
def test_links_as_twitter_text_extracts_them(section: str, case: dict[str, Any]) -> None:
    text = unicodedata.normalize("NFC", case["text"])
    assert text == case["text"]  # the cases are NFC already: indices need no mapping
    found = x_urls(text)
    expected = case["expected"]
    if expected and isinstance(expected[0], dict):
        assert [(text[a:b], [_utf16_index(text, a), _utf16_index(text, b)]) for a, b in found] == [
            (link["url"], link["indices"]) for link in expected]
    else:
        assert [text[a:b] for a, b in found] == expected
