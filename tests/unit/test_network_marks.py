"""Every registered network has its letter (planning_ui.NETWORK_LETTERS) and its colours in the
stylesheets, and those colours pass WCAG AA contrast on what they sit on, in the light and the
dark theme. A network added to networks/registry.CONNECTORS without them fails here.

The stylesheets are read as text: each rule that colours Mastodon (its selector or custom
property names `mastodon`) must have the same rule for every network, in the same theme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hubbub.networks.registry import CONNECTORS
from hubbub.planning.templatetags.planning_ui import NETWORK_LETTERS

CSS = Path(__file__).resolve().parents[2] / "src" / "hubbub" / "static" / "hubbub"
COLOUR_PROPS = {"color", "background", "background-color", "border-left-color", "--pv-link"}
TEXT, NON_TEXT = 4.5, 3.0  # WCAG 2.2 AA: 1.4.3 text, 1.4.11 graphical objects

Rules = dict[tuple[str, str], dict[str, str]]  # (theme, selector) -> declarations


def _rules(name: str) -> Rules:
    """The stylesheet's plain rules by theme ("light", or "dark" inside the dark media query)."""
    text = re.sub(r"/\*.*?\*/", "", (CSS / name).read_text(), flags=re.S)
    found: Rules = {}
    for theme, body in _themes(text):
        for selectors, block in re.findall(r"([^{}]+)\{([^{}]*)\}", body):
            decls = {k.strip(): v.strip() for k, _, v in
                     (d.partition(":") for d in block.split(";") if ":" in d)}
            for selector in selectors.split(","):
                key = (theme, " ".join(selector.split()))
                found[key] = {**found.get(key, {}), **decls}
    return found


def _themes(text: str) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    rest = text
    while (start := rest.find("@media (prefers-color-scheme: dark)")) >= 0:
        parts.append(("light", rest[:start]))
        open_at = rest.index("{", start)
        depth, end = 0, open_at
        for end in range(open_at, len(rest)):
            depth += {"{": 1, "}": -1}.get(rest[end], 0)
            if depth == 0:
                break
        parts.append(("dark", rest[open_at + 1:end]))
        rest = rest[end + 1:]
    parts.append(("light", rest))
    return [(t, b) for t, b in parts if not t.startswith("@")]


def _mentions(key: str, slug: str) -> bool:
    return re.search(rf"(?<![\w-])(\.?[\w-]*-)?{slug}(?![\w-])", key) is not None


def _named(key: str, slug: str) -> str:
    return re.sub(r"(?<=[-.])mastodon(?![\w-])", slug, key)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _mix(colour: str, share: float, under: str) -> str:
    """color-mix(in srgb, colour share%, transparent) laid over `under`."""
    return "#" + "".join(
        f"{round(int(colour[i:i + 2], 16) * share + int(under[i:i + 2], 16) * (1 - share)):02x}"
        for i in (1, 3, 5))


class Sheets:
    def __init__(self) -> None:
        self.app, self.deck, self.planning = (_rules(f) for f in
                                              ("app.css", "deck.css", "planning.css"))

    def var(self, rules: Rules, theme: str, name: str) -> str:
        """A custom property of :root in `theme` (the light value where dark keeps it)."""
        for t in (theme, "light"):
            for sheet in (rules, self.app):
                value = sheet.get((t, ":root"), {}).get(name)
                if value:
                    return self.resolve(rules, theme, value)
        raise AssertionError(f"{name} is not set")

    def resolve(self, rules: Rules, theme: str, value: str) -> str:
        found = re.fullmatch(r"var\((--[\w-]+)\)", value)
        colour = self.var(rules, theme, found.group(1)) if found else value
        assert re.fullmatch(r"#[0-9a-f]{6}", colour), f"not a #rrggbb colour: {colour}"
        return colour

    def prop(self, rules: Rules, theme: str, selector: str, name: str) -> str:
        for t in (theme, "light"):
            value = rules.get((t, selector), {}).get(name)
            if value:
                return self.resolve(rules, theme, value)
        raise AssertionError(f"{selector} sets no {name}")


@pytest.fixture(scope="module")
def sheets() -> Sheets:
    return Sheets()


@pytest.mark.parametrize("slug", sorted(CONNECTORS))
def test_every_network_has_a_letter(slug: str) -> None:
    assert NETWORK_LETTERS.get(slug), f"planning_ui.NETWORK_LETTERS has no letter for {slug}"


@pytest.mark.parametrize("sheet", ["app.css", "deck.css", "planning.css"])
def test_every_rule_that_colours_a_network_exists_for_every_network(sheet: str) -> None:
    rules = _rules(sheet)
    coloured = [(theme, selector, name) for (theme, selector), decls in rules.items()
                for name in decls
                if (name in COLOUR_PROPS and _mentions(selector, "mastodon"))
                or (selector == ":root" and _mentions(name, "mastodon"))]
    assert coloured, f"{sheet} colours no network any more: update this test"
    missing = []
    for slug in CONNECTORS:
        for theme, selector, name in coloured:
            want_selector, want_name = _named(selector, slug), _named(name, slug)
            if want_name not in rules.get((theme, want_selector), {}):
                missing.append(f"{theme}: {want_selector} {{ {want_name} }}")
    assert not missing, f"{sheet} lacks:\n" + "\n".join(missing)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("slug", sorted(CONNECTORS))
def test_network_colours_pass_aa_contrast(sheets: Sheets, slug: str, theme: str) -> None:
    app, deck, planning = sheets.app, sheets.deck, sheets.planning
    surface = sheets.var(app, theme, "--surface")
    found: list[tuple[str, float, float]] = []  # (where, ratio, AA minimum)
    # the tag on the connections list, the imports and the connect page: its own pair
    tag = f".net-{slug}"
    found.append(("tag text", contrast(sheets.prop(app, theme, tag, "color"),
                                       sheets.prop(app, theme, tag, "background")), TEXT))
    # the composer's preview: links, mentions and tags in the network's colour on the card
    found.append(("preview link", contrast(
        sheets.prop(app, theme, f".pv-{slug}", "--pv-link"), surface), TEXT))
    # the deck: the network's name in its ink (its hue, darkened where needed) on a 13% tint of
    # the network's colour; its dot on the card
    net = sheets.var(deck, theme, f"--net-{slug}")
    ink = sheets.var(deck, theme, f"--ink-{slug}")
    found.append(("deck name", contrast(ink, _mix(net, 0.13, surface)), TEXT))
    found.append(("deck dot", contrast(net, surface), NON_TEXT))
    # planning: the letter on the network's colour; the card's left edge
    letter = (planning.get((theme, f".pl-net-{slug}"), {}).get("color")
              or planning.get((theme, ".pl-net"), {}).get("color")
              or planning[("light", ".pl-net")]["color"])
    plan = sheets.var(planning, theme, f"--net-{slug}")
    found.append(("planning letter",
                  contrast(sheets.resolve(planning, theme, _hex(letter)), plan), TEXT))
    found.append(("planning edge", contrast(plan, surface), NON_TEXT))
    failing = {where: round(ratio, 2) for where, ratio, least in found if ratio < least}
    assert not failing, f"{slug} ({theme}) below AA: {failing}"


def _hex(value: str) -> str:
    return "#ffffff" if value == "#fff" else value


STATUS = [".pill-ok", ".pill-warn", ".pill-bad", ".pill-info", ".pill-busy", ".pill-muted",
          ".state-sent", ".state-failed", ".state-held", ".flash-success"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_status_pills_and_small_badges_pass_aa_contrast(sheets: Sheets, theme: str) -> None:
    """The green "Sent" pill and its siblings, and the planning cards' small badges (a network's
    letter, "CW"), hold 4.5:1 in both themes."""
    app, planning = sheets.app, sheets.planning
    found = {sel: contrast(sheets.prop(app, theme, sel, "color"),
                           sheets.prop(app, theme, sel, "background")) for sel in STATUS}
    found[".pl-cw"] = contrast(sheets.prop(planning, theme, ".pl-cw", "color"),
                               sheets.prop(planning, theme, ".pl-cw", "background"))
    letter = planning.get((theme, ".pl-net"), {}).get("color") or planning[("light", ".pl-net")][
        "color"]
    for slug in [*CONNECTORS, "fake"]:
        found[f".pl-net-{slug}"] = contrast(sheets.resolve(planning, theme, _hex(letter)),
                                            sheets.var(planning, theme, f"--net-{slug}"))
    failing = {where: round(ratio, 2) for where, ratio in found.items() if ratio < TEXT}
    assert not failing, f"below AA in the {theme} theme: {failing}"
