"""A feed entry's post text from the subscription's template, trimmed to fit every target.

Templates name fields in braces: {title} {link} {summary} {author}. Nothing else is
evaluated (no format specs, no attribute access): the text is plain substitution.
When the text is too long for a target, the summary is shortened first, then the title,
then the author, each ending in "…" (or left out when too little of it would remain); the
link is never cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import regex

from hubbub.connections.models import Connection
from hubbub.networks.base import Draft
from hubbub.publishing.target_drafts import validate_for_targets

FIELDS = ("title", "link", "summary", "author")
TRIM_ORDER = ("summary", "title", "author")
MIN_KEPT = 8  # graphemes; a field cut shorter than this is left out instead
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_GRAPHEME = regex.compile(r"\X")


class DoesNotFit(ValueError):
    """The entry cannot become a post for these targets, even trimmed; the message says why."""


def check_template(template: str) -> None:
    """ValueError naming an unknown field, or a template that uses no field at all."""
    names = _PLACEHOLDER.findall(template)
    for name in names:
        if name.strip() not in FIELDS:
            fields = ", ".join("{" + f + "}" for f in FIELDS)
            raise ValueError(f"{{{name}}} is not a field; use {fields}.")
    if not names:
        raise ValueError("Use at least one field, e.g. {title} {link}.")


def render(template: str, values: Mapping[str, str]) -> str:
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), template)
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def cut(text: str, graphemes: int) -> str:
    """At most `graphemes` user-perceived characters, ending in "…" when cut (at a word
    boundary when one is near)."""
    parts = _GRAPHEME.findall(text)
    if len(parts) <= graphemes:
        return text
    if graphemes < MIN_KEPT:
        return ""
    kept = "".join(parts[: graphemes - 1])
    space = kept.rfind(" ")
    if space >= len(kept) * 0.6:
        kept = kept[:space]
    return kept.rstrip(" ,;:-\u2013\u2014") + "…"


def fit(template: str, values: Mapping[str, str], connections: Sequence[Connection]) -> str:
    """The post text for every target, trimmed if need be; DoesNotFit if it cannot be."""
    current = dict(values)

    def problems(text: str) -> list[str]:
        checked = validate_for_targets(Draft(text=text), connections)
        return [f"{c.handle}: {p.message}" for c in connections for p in checked[c.pk].problems]

    def fits(text: str) -> bool:
        return not problems(text)

    text = render(template, current)
    if fits(text):
        return text
    for name in TRIM_ORDER:
        full = current.get(name, "")
        if not full or f"{{{name}}}" not in template.replace(" ", ""):
            continue
        current[name] = ""
        if not fits(render(template, current)):
            continue  # even without it the text is too long: trim the next field as well
        low, high = 0, len(_GRAPHEME.findall(full))  # fits with `low`, not with `high`
        while high - low > 1:
            middle = (low + high) // 2
            current[name] = cut(full, middle)
            if fits(render(template, current)):
                low = middle
            else:
                high = middle
        current[name] = cut(full, low)
        return render(template, current)
    raise DoesNotFit(" ".join(problems(render(template, current))) or "The post is empty.")
