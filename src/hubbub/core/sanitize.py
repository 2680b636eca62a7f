"""Remote content made safe to store and show: HTML through an nh3 allow-list, URLs limited to
http(s), text capped.

Everything a network sends is hostile until it has been through here. The output of
`clean_html` may be rendered as safe HTML; `safe_url` is the only way a remote URL reaches an
href or src. Both are pure and fast (nh3 is Rust): ingest calls them for every item.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import html
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import nh3

ALLOWED_TAGS: Final = frozenset({
    "p", "br", "a", "span", "strong", "em", "b", "i", "u", "s", "del",
    "blockquote", "code", "pre", "ul", "ol", "li",
})
# Dropped with everything inside them (not just the tag): their content is code or markup,
# never text a person wrote.
DROPPED_WITH_CONTENT: Final = frozenset({
    "script", "style", "template", "svg", "math", "iframe", "object", "embed", "noscript",
    "noembed", "noframes", "textarea", "select", "option", "title", "head", "xmp", "plaintext",
    "frameset", "frame", "applet", "canvas", "audio", "video",
})
LINK_REL: Final = "nofollow noopener noreferrer ugc"
URL_SCHEMES: Final = frozenset({"http", "https"})

MAX_HTML_CHARS: Final = 40_000  # markup included; a long Mastodon post is ~10 kB of HTML
MAX_TEXT_CHARS: Final = 20_000
MAX_URL_CHARS: Final = 1000  # Item's URL fields
TRUNCATED: Final = "… [truncated]"

_CLEANER: Final = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={"a": {"href"}},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)
# Markup that nh3 gives back exactly as it is, known without parsing it: text alone, or
# paragraphs of text, with line breaks. The text holds nothing the HTML parser or nh3's writer
# changes: no `<`, `>` or `&` (markup, escapes), NUL (dropped), CR (made LF), BOM (dropped at
# the start) or no-break space (written `&nbsp;`). Every other code point comes out as it went in
# (tests/security/test_clean_html_equivalence.py checks each one, and compares clean_html with
# nh3 on generated and hostile markup); so does `<p>`...`</p>` around text and `<br>`, both allowed.
_PLAIN_TEXT: Final = r"[^<>&\x00\r\ufeff\xa0]*+"
_UNCHANGED_BY_NH3: Final = re.compile(
    rf"{_PLAIN_TEXT}(?:<br>{_PLAIN_TEXT})*+|(?:<p>{_PLAIN_TEXT}(?:<br>{_PLAIN_TEXT})*+</p>)++"
    if {"p", "br"} <= ALLOWED_TAGS else r"(?!)")

# Control characters other than tab and newline; NUL in particular, which PostgreSQL refuses.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Zalgo: a letter buried under dozens of combining marks draws over the lines around it.
# Real scripts stack a few; more than four in a row are cut to four.
_COMBINING: Final = (r"\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u1ab0-\u1aff\u1dc0-\u1dff"
                     r"\u20d0-\u20ff\ufe20-\ufe2f")
_COMBINING_RUN: Final = re.compile(f"([{_COMBINING}]{{4}})[{_COMBINING}]+")
_COMBINING_CHARS: Final = re.compile(f"[{_COMBINING}]")
# Bidirectional overrides and isolates: in a name they reverse what follows ("gnp.exe").
_BIDI_CONTROLS: Final = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C], None
)
# The embeddings, overrides and isolates alone (U+202A-U+202E, U+2066-U+2069): in running text
# they turn what follows round ("tnetnoc ni \u202eOLR exe.png" reads "...gnp.exe RLO"), and in a
# URL they hide where it goes. The marks (LRM, RLM, ALM) only nudge neutral characters and stay
# in text.
_BIDI_RANGES: Final = r"\u202a-\u202e\u2066-\u2069"
_BIDI_OVERRIDE: Final = re.compile(f"[{_BIDI_RANGES}]")
_LINK: Final = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION: Final = ".,;:!?)]}'\""
_PARAGRAPH_BREAK: Final = re.compile(r"\n{2,}")
_URL_FORBIDDEN: Final = re.compile(rf"[\x00-\x20\x7f\"<>\\`\ud800-\udfff{_BIDI_RANGES}]")
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
# What clean_text may change in a non-ASCII text, in one class: most texts have none of it, and
# one search says so (rather than one search for each kind).
_TEXT_CHANGES: Final = re.compile(
    rf"[{_COMBINING}\ud800-\udfff{_BIDI_RANGES}\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What clean_html changes before nh3 sees the markup: a combining mark (a tower may need cutting)
# or a lone surrogate.
_MARKUP_CHANGES: Final = re.compile(rf"[{_COMBINING}\ud800-\udfff]")
# scheme://[userinfo@]host[:port] then a path, query, fragment or the end. A regex rather than
# urlsplit: ingest checks several URLs an item, and urlsplit was a third of its time.
_HTTP_URL: Final = re.compile(
    r"https?://(?:[^/?#@]*@)?(?:\[[0-9a-f:.]+\]|[^/?#:@\[\]]+)(?::(?P<port>\d{0,5}))?(?:[/?#]|\Z)",
    re.IGNORECASE,
)
# The common case, decided by one match: http(s), a plain host name, no userinfo or port, and
# nothing after it that the checks below refuse or that str.strip() would remove. Anything
# else takes the general path.
_PLAIN_HTTP_URL: Final = re.compile(
    rf"https?://[a-z0-9.-]+(?:[/?#][^\x00-\x20\x7f\"<>\\`\s\ud800-\udfff{_BIDI_RANGES}]*)?",
    re.IGNORECASE)


def safe_url(url: object, *, max_length: int = MAX_URL_CHARS) -> str:
    """`url` when it is an absolute http(s) URL with a host, else "".

    javascript:, data:, vbscript:, file:, relative and scheme-relative URLs, URLs with
    whitespace, double quotes, angle brackets, backslashes or control characters anywhere,
    and URLs longer than `max_length` are all refused rather than repaired."""
    if not isinstance(url, str) or not url:
        return ""
    if len(url) <= max_length and _PLAIN_HTTP_URL.fullmatch(url):
        return url
    return _safe_url(url, max_length)


def _safe_url(url: str, max_length: int) -> str:
    """safe_url's general path."""
    candidate = url.strip()
    if len(candidate) > max_length or _URL_FORBIDDEN.search(candidate):
        return ""
    match = _HTTP_URL.match(candidate)
    if match is None:
        return ""
    port = match.group("port")
    if port is not None and (not port or int(port) > 65535):
        return ""
    return candidate


def clean_text(text: object, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Plain text from a network: control characters removed, combining-mark towers cut, and
    capped at `max_chars` (the cut is marked). Not escaped: templates escape it."""
    if not isinstance(text, str) or not text:
        return ""
    if len(text) > max_chars:
        text = text[:max_chars] + TRUNCATED
    if not text.isascii():
        if _TEXT_CHANGES.search(text) is None:
            return text
        if _COMBINING_CHARS.search(text):
            text = _COMBINING_RUN.sub(r"\1", text)
        if _SURROGATE.search(text):  # lone surrogates: UTF-8 cannot hold them
            text = _SURROGATE.sub("\ufffd", text)
        if _BIDI_OVERRIDE.search(text):
            text = _BIDI_OVERRIDE.sub("", text)
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def clean_line(text: object, *, max_chars: int) -> str:
    """A one-line field (a name, a handle, a content warning): clean_text, newlines folded to
    spaces, bidirectional overrides removed, and cut to `max_chars` without a marker."""
    if type(text) is str and text.isprintable() and (
            text.isascii() or not _COMBINING_CHARS.search(text)):
        # What the general path gives for printable text (no controls, newlines, bidi controls
        # or surrogates, which are all unprintable) with no combining mark to stack.
        return text[:max_chars].strip()
    return _clean_line(text, max_chars)


def _clean_line(text: object, max_chars: int) -> str:
    """clean_line's general path."""
    value = clean_text(text, max_chars=max_chars * 2)
    if not value:
        return ""
    if not value.isascii():
        value = value.translate(_BIDI_CONTROLS)
    if "\n" in value or "\r" in value or "\t" in value:
        value = " ".join(value.split())
    return value[:max_chars].strip()


def clean_html(markup: object, *, max_chars: int = MAX_HTML_CHARS) -> str:
    """Remote HTML as safe HTML: only ALLOWED_TAGS, links only to http(s) with
    rel="nofollow noopener noreferrer ugc" and target=_blank, no other attributes (no style,
    class, id or event handlers). Oversized input is cut first and marked, then cleaned, so an
    unfinished tag at the cut is dropped rather than kept."""
    if not isinstance(markup, str) or not markup:
        return ""
    if type(markup) is str and max_chars == MAX_HTML_CHARS:
        cleaned = _REMEMBERED.get(markup)
        if cleaned is None:
            cleaned = _clean_html(markup, max_chars)
            _REMEMBERED.put(markup, cleaned)
        return cleaned
    return _clean_html(markup, max_chars)


def clean_html_many(markups: Sequence[str]) -> list[str]:
    """[clean_html(m) for m in markups], on two cores when there are several to parse.

    nh3 lets go of Python's lock while it parses, so a helper thread and the caller take the
    markups not cleaned lately in turn from one shared position and parse them side by side:
    ingest's batches of 40-100 items spend a third of their time here. The caller never waits
    for the helper to start: when the helper is busy (another thread's batch, or none in a
    forked process), the caller cleans them all itself and waits at most for the one markup the
    helper may have taken."""
    cleaned: list[str | None] = [_REMEMBERED.get(m) if type(m) is str else None
                                 for m in markups]
    todo = [n for n, result in enumerate(cleaned) if result is None]
    if len(todo) < _SHARED_FROM or _helper() is None:
        return [result if result is not None else clean_html(markups[n])
                for n, result in enumerate(cleaned)]
    _Shared(markups, todo, cleaned).run()
    return cleaned  # type: ignore[return-value]  # every None was filled by run()


_SHARED_FROM: Final = 4  # fewer markups than this: parsed in the caller, as clean_html does
_HELPERS: list[ThreadPoolExecutor] = []
_HELPERS_LOCK: Final = threading.Lock()
# A forked child has no helper thread, only the parent's executor that thinks it has one: the
# child's batches would still be cleaned (by their callers alone) but queue up behind it
# forever, with their markups. The child makes its own helper.
os.register_at_fork(after_in_child=_HELPERS.clear)


def _helper() -> ThreadPoolExecutor | None:
    """The one helper thread (None on a single CPU: it could only take turns with the caller)."""
    if _HELPERS:
        return _HELPERS[0]
    if (os.cpu_count() or 1) < 2:
        return None
    with _HELPERS_LOCK:
        if not _HELPERS:
            _HELPERS.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="clean_html"))
    return _HELPERS[0]


class _Shared:
    """One clean_html_many call's markups, taken one at a time by the caller and the helper."""

    def __init__(self, markups: Sequence[str], todo: list[int],
                 cleaned: list[str | None]) -> None:
        self._markups = markups
        self._todo = todo
        self._cleaned = cleaned
        self._next = 0
        self._left = len(todo)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None

    def run(self) -> None:
        helper = _helper()
        if helper is not None:
            # Shut down (the interpreter is exiting): the caller cleans them alone.
            with contextlib.suppress(RuntimeError):
                helper.submit(self._take)
        self._take()
        self._done.wait()
        if self._error is not None:
            raise self._error

    def _take(self) -> None:
        todo, lock = self._todo, self._lock
        while True:
            with lock:
                if self._next >= len(todo):
                    return
                n = todo[self._next]
                self._next += 1
            try:
                self._cleaned[n] = clean_html(self._markups[n])
            except BaseException as error:  # raised again in the caller
                self._error = error
            with lock:
                self._left -= 1
                if self._left == 0:
                    self._done.set()


class _Remembered:
    """The latest markups cleaned and what they gave, the oldest dropped first once they hold
    more than `max_chars` characters between them (16 MB at most, whatever the characters).
    Every poll reads a feed's newest page again, so most markup was cleaned a poll before; this
    gives it back without parsing it again. Safe across threads: a lookup is one dict read,
    and additions take a lock."""

    def __init__(self, max_chars: int) -> None:
        self._max_chars = max_chars
        self._chars = 0
        self._results: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.get = self._results.get

    def put(self, markup: str, cleaned: str) -> None:
        size = len(markup) + len(cleaned)
        if size > self._max_chars // 100:  # a long one would push out a hundred others
            return
        with self._lock:
            if markup in self._results:
                return
            self._results[markup] = cleaned
            self._chars += size
            while self._chars > self._max_chars:
                old, old_cleaned = self._results.popitem(last=False)
                self._chars -= len(old) + len(old_cleaned)


_REMEMBERED: Final = _Remembered(max_chars=4_000_000)


def _clean_html(markup: str, max_chars: int) -> str:
    """clean_html, every time."""
    truncated = len(markup) > max_chars
    if truncated:
        markup = markup[:max_chars]
    if not markup.isascii() and _MARKUP_CHANGES.search(markup):
        if _COMBINING_CHARS.search(markup):
            markup = _COMBINING_RUN.sub(r"\1", markup)
        if _SURROGATE.search(markup):  # from a JSON "\ud800": nh3 and databases refuse them
            markup = _SURROGATE.sub("\ufffd", markup)
    # nh3 would give this markup back as it is (below): no need to parse it.
    cleaned = markup if _UNCHANGED_BY_NH3.fullmatch(markup) else _CLEANER.clean(markup)
    # After cleaning, so that a bidi control written as a character reference goes too.
    if not cleaned.isascii() and _BIDI_OVERRIDE.search(cleaned):
        cleaned = _BIDI_OVERRIDE.sub("", cleaned)
    if "<a " in cleaned:
        cleaned = _ADDRESS_LINK.sub(_show_real_host, cleaned)
    if truncated:
        cleaned += f"<p>{html.escape(TRUNCATED)}</p>"
    return cleaned


# A link as the cleaner writes it: its attributes in their source order (title and lang may
# come before href; a value never holds `"`, which it escapes), then its text (other elements
# inside, never a link), found only when that text may read as an address: it holds a dot and
# does not start with `@` or `#` (most links are mentions and hashtags, never visited). The text
# reads as an address when it is one host name with a dot and a last label of letters, with a
# scheme, a path or a port around it or not.
_ADDRESS_LINK: Final = re.compile(
    r'<a (?:(?!href=)[a-z-]++="[^"]*+" )*+href="([^"]*+)"[^>]*+>'
    r"((?![@#])[^<.]*+(?:<(?!/a>)[^<.]*+)*+\.[^<]*+(?:<(?!/a>)[^<]*+)*+)</a>")
_TAG: Final = re.compile(r"<[^>]*>")
# An address whose host is plain (lower-case letters, digits, dots, hyphens: no user, no port)
# up to its path: read by _SHOWN_ADDRESS and by _HREF_HOST alike, that host and nothing else.
_LOWER_HOST_URL: Final = re.compile(r"https?://[a-z0-9.-]+(?:[/?#]|\Z)")
_HREF_HOST: Final = re.compile(r"https?://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^/?#:]+)", re.IGNORECASE)
_SHOWN_ADDRESS: Final = re.compile(
    r"\s*(?:[a-z][a-z0-9+.-]*://)?(?:[^\s/?#@:]+@)?(?P<host>[^\s/?#@:]+\.[^\W\d_]{2,}\.?)"
    r"(?::\d*)?(?:[/?#]\S*)?[,;:!?)\]]*\s*", re.IGNORECASE)


def _site(host: str) -> str:
    """A host name as compared: lower case, punycode for non-ASCII, no trailing dot or www."""
    # The same few hosts come back in every poll; a name longer than DNS allows is not kept.
    return _known_site(host) if len(host) <= 253 else _site_of(host)


@functools.lru_cache(maxsize=4096)
def _known_site(host: str) -> str:
    return _site_of(host)


def _site_of(host: str) -> str:
    name = host.rstrip(".").lower()
    if not name.isascii():
        # One that cannot be written in ASCII stays as it is: it then equals no ASCII host.
        with contextlib.suppress(UnicodeError):
            name = name.encode("idna").decode("ascii")
    return name.removeprefix("www.")


def _same_site(shown: str, real: str) -> bool:
    """One host name, or one a subdomain of the other (the same owner either way)."""
    a, b = _site(shown), _site(real)
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _show_real_host(link: re.Match[str]) -> str:
    """A link whose text reads as an address on another host, with that host after it:
    `<a href="https://evil.test/">example.com</a> [evil.test]`."""
    inner = link.group(2)  # with a dot, not a mention or hashtag (_ADDRESS_LINK)
    text = _TAG.sub("", inner) if "<" in inner else inner
    if text == link.group(1) and _LOWER_HOST_URL.match(text):
        # The link shows its own address (as Mastodon and Bluesky write links): both readings
        # find the same plain host in it, so it is honest.
        return link.group(0)
    shown = _SHOWN_ADDRESS.fullmatch(html.unescape(text) if "&" in text else text)
    if shown is None:
        return link.group(0)
    real = _HREF_HOST.match(link.group(1))  # the cleaner kept only http(s) hrefs
    if real is None or _same_site(shown.group("host"), real.group(1)):
        return link.group(0)
    return f"{link.group(0)} [{html.escape(real.group(1).lower())}]"


def text_to_html(text: str) -> str:
    """Plain text (already cleaned) as safe HTML: escaped, http(s) links made links, line
    breaks kept. For networks that send no HTML (Nostr)."""
    if not text:
        return ""
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        start, end = match.start(), match.start() + len(url)
        href = safe_url(url)
        parts.append(html.escape(text[position:start], quote=False))
        shown = html.escape(url, quote=False)
        if href:
            parts.append(
                f'<a href="{html.escape(href)}" rel="{LINK_REL}" target="_blank">{shown}</a>'
            )
        else:
            parts.append(shown)
        position = end
    parts.append(html.escape(text[position:], quote=False))
    body = "".join(parts)
    if "\n" not in body:
        return f"<p>{body}</p>"
    paragraphs = [p.replace("\n", "<br>") for p in _PARAGRAPH_BREAK.split(body.strip("\n"))]
    return "".join(f"<p>{p}</p>" for p in paragraphs if p)
