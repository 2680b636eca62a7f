"""How networks count the length of a post, by rule name.

`Capabilities.counting` names a rule; the composer's counters and each connector's `validate`
call `count_text(rule, text, ...)`. A rule is a function registered in RULES; adding a network's
rule is one function and one table line. Rules: mastodon, graphemes (Nostr), bluesky, x,
threads, linkedin; docs/composer.md says where each definition comes from.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import regex

from hubbub.core import mastodon_links

# The most text a post may hold, checked before anything counts it. No network takes a post
# anywhere near this long: the largest limits are Facebook's 63,206 characters and the 64,000 a
# Nostr relay is assumed to take when it states none; LinkedIn takes 3,000, Bluesky 300, X 280,
# Threads 500, Mastodon 500 unless the instance says more. The counters are linear, but a
# megabyte pasted into the composer is a mistake to name at once, not to count per keystroke.
MAX_POST_CHARS = 100_000


def post_size_problem(text: str, content_warning: str = "") -> str | None:
    """A sentence for the person when text and warning together are longer than any network
    takes (MAX_POST_CHARS), else None. Costs nothing: it counts code points only."""
    size = len(text) + len(content_warning)
    if size <= MAX_POST_CHARS:
        return None
    return (
        f"This post is {size:,} characters long; the hub takes at most {MAX_POST_CHARS:,} "
        "(no network takes more than about 64,000). Shorten it or split it into several posts."
    )


# A rule gets the text and the content warning (networks without one pass "") and the length
# a link counts as, where the network shortens links.
Rule = Callable[[str, str, int], int]


_CLUSTER = regex.compile(r"\X")
# The only code points that can join a neighbour into one cluster (UAX #29 GB6-GB9c, GB11-GB13):
# without any of them (and apart from CR LF) every code point is a cluster of its own.
_JOINING = (
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}]"
)
# Planes 2, 3, 15 and 16 hold CJK ideographs and private use only: nothing joins or is emoji.
PLANES_WITH_MARKS = (range(0, 0x20000), range(0xE0000, 0xF0000))


@functools.cache
def code_points_matching(pattern: str) -> frozenset[str]:
    """Every code point a one-character pattern matches (computed once, ~30 ms): a set's
    isdisjoint() scans a text ten times faster than a regex with Unicode properties."""
    chars = "".join(chr(cp) for plane in PLANES_WITH_MARKS for cp in plane)
    return frozenset(regex.findall(pattern, chars))


def joins_previous(char: str) -> bool:
    """Whether a code point can join the one before it into a cluster (a combining mark, ZWJ,
    a second regional indicator, Hangul jamo...): no cut may go right before it."""
    return not char.isascii() and char in code_points_matching(_JOINING)


def cluster_ends(text: str, start: int = 0, stop: int | None = None) -> list[int]:
    """Where each grapheme cluster of text[start:stop] ends (absolute positions)."""
    return [m.end() for m in _CLUSTER.finditer(text, start, len(text) if stop is None else stop)]


_NON_ASCII_RUN = regex.compile(r"[^\x00-\x7f]++")
_ASCII_CONTROLS = frozenset("".join(map(chr, range(0x20))) + "\x7f")
# Join the character before them (UAX #29 GB9, GB9a); Prepend joins the one after (GB9b).
_ATTACHING = r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
_ATTACHING += r"\p{Grapheme_Cluster_Break=SpacingMark}]"
_PREPEND = r"\p{Grapheme_Cluster_Break=Prepend}"
# Fewer characters than this per run with a joining code point: \X over the rest is cheaper.
_DENSE_RUNS = 12


def graphemes(text: str) -> int:
    """User-perceived characters: an emoji with skin tone or a ZWJ family, a flag, a letter
    with combining accents each count as one."""
    joining = code_points_matching(_JOINING)
    total = len(text) - text.count("\r\n")  # the answer when nothing joins (CR LF is one)
    if text.isascii() or joining.isdisjoint(text):
        return total
    # No cluster joins two ASCII characters but CR LF, and an ASCII character joins the
    # non-ASCII text beside it only through a mark after it or a Prepend before it (not a
    # control: GB4, GB5). So only the non-ASCII runs go through \X: mostly-ASCII prose
    # costs a fraction of segmenting it all.
    attaching, prepend = code_points_matching(_ATTACHING), code_points_matching(_PREPEND)
    joined_runs = 0
    for run in _NON_ASCII_RUN.finditer(text):
        chunk = run.group()
        if joining.isdisjoint(chunk):
            continue
        start, end = run.span()
        joined_runs += 1
        if joined_runs % 64 == 0 and joined_runs * _DENSE_RUNS > start:
            # Runs this dense (emoji and spaces, letters and marks) cost more a step each than
            # \X over all the rest in one call, from a cluster break: before this run unless
            # it starts with a mark joining the ASCII character before it, else before that
            # character unless a Prepend or CR joins it to what precedes.
            cut = start
            if chunk[0] in attaching and text[start - 1] not in _ASCII_CONTROLS:
                cut = start - 1
                if cut and (text[cut - 1] in prepend or text[cut - 1 : cut + 1] == "\r\n"):
                    cut = -1
            if cut >= 0:
                rest = text[cut:]
                return total - len(rest) + rest.count("\r\n") + _CLUSTER.subn("", rest)[1]
        total -= len(chunk) - len(_CLUSTER.findall(chunk))
        if start and chunk[0] in attaching and text[start - 1] not in _ASCII_CONTROLS:
            total -= 1
        if end < len(text) and chunk[-1] in prepend and text[end] not in _ASCII_CONTROLS:
            total -= 1
    return total


# --- Mastodon (app/validators/status_length_validator.rb) ------------------------------------
# counted = spoiler_text + text, where in the text each link Mastodon finds counts as
# characters_reserved_per_url and "@user@domain" counts as "@user"; length in grapheme clusters.
# Finding them is hubbub.core.mastodon_links (one pass, the server's rules).

# Any http(s) link up to the next space (for the splitter, which must not cut inside one).
_URL = regex.compile(r"(?<![\p{L}\p{N}_@$#\uFF20\uFF03])https?://[^\s<>\"]+", regex.IGNORECASE)
# Blank as Ruby's blank? sees it: nothing but White_Space (not str.isspace's \x1c-\x1f).
_BLANK = regex.compile(r"\p{White_Space}*+")


class Span(NamedTuple):
    """text[start:end] counts as `replacement` does."""

    start: int
    end: int
    replacement: str


def _mastodon_spans(
    text: str, url_length: int, *, counted_only: bool = False
) -> list[tuple[int, int, str]]:
    placeholder = "x" * url_length
    spans = mastodon_links.entities(text, counted_only=counted_only)
    for index, (start, end, what) in enumerate(spans):
        if what == mastodon_links.LINK:
            spans[index] = (start, end, placeholder)
        elif what == mastodon_links.MAYBE_LINK:  # never count less than the server might
            spans[index] = (start, end, "x" * max(url_length, end - start))
    return spans


def mastodon_entities(text: str, url_length: int) -> list[Span]:
    """Links and mentions as Mastodon counts them, without overlaps, by position."""
    return [Span(*span) for span in _mastodon_spans(text, url_length)]


def _rewrite(text: str, spans: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, replacement in spans:
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def count_mastodon(text: str, content_warning: str, url_length: int) -> int:
    if _BLANK.fullmatch(text) is not None:
        countable = ""
    elif "://" in text:  # links are possible; mentions counting as written are left out
        countable = _rewrite(text, _mastodon_spans(text, url_length, counted_only=True))
    else:
        countable = mastodon_links.shorten_mentions(text)
    return graphemes(content_warning + countable)


def count_graphemes(text: str, content_warning: str, url_length: int) -> int:
    """Plain grapheme count of warning + text, links at their full length."""
    return graphemes(content_warning + text)


# --- Bluesky (lexicon app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 bytes) ---------
# Both limits hold at once: 300 emoji ZWJ sequences are 300 graphemes but far more than 3000
# bytes, so a post can be too long in bytes while under 300 characters. Links count in full (the
# client writes facets; nothing is shortened). Bluesky has no content-warning field: a warning is
# posted as the first line of the text (`bluesky_text`), so it counts.

BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000


@dataclass(frozen=True)
class TextLength:
    graphemes: int
    utf8_bytes: int


def inline_warning(text: str, content_warning: str = "") -> str:
    """The text posted where a network has no content-warning field: the warning, if any,
    leads it as its own paragraph (and counts)."""
    warning = content_warning.strip()
    return f"CW: {warning}\n\n{text}" if warning else text


def bluesky_text(text: str, content_warning: str = "") -> str:
    """The text a Bluesky post carries for this draft: the warning, if any, leads it."""
    return inline_warning(text, content_warning)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def bluesky_length(text: str, content_warning: str = "") -> TextLength:
    """Both numbers Bluesky checks, for the composer's counter and for validate. A lone
    surrogate (which UTF-8 cannot carry) counts as the U+FFFD it would be sent as."""
    posted = bluesky_text(text, content_warning)
    try:
        size = len(posted.encode("utf-8"))
    except UnicodeEncodeError:
        posted = _LONE_SURROGATE.sub("\ufffd", posted)
        size = len(posted.encode("utf-8"))
    return TextLength(graphemes=graphemes(posted), utf8_bytes=size)


def count_bluesky(text: str, content_warning: str, url_length: int) -> int:
    """Graphemes of the posted text (the 3000-byte limit is checked by `bluesky_length`)."""
    return bluesky_length(text, content_warning).graphemes


# --- Emoji sequences (UTS #51 grammar, written for the `regex` module) ------------------------
# One emoji = a flag (two regional indicators), a keycap ([0-9#*] FE0F? 20E3), or pictographs
# joined by ZWJ, each with an optional skin tone, FE0F or tag run (🏴 + tags + cancel tag), or a
# lone skin tone or regional indicator. A character followed by FE0E asked for its text look
# and is not an emoji; digits, # and * are emoji only in a keycap. Each match lies inside one
# grapheme cluster (UAX #29 GB9, GB11, GB12/13).
_PICTOGRAPH = (
    r"(?=\p{Emoji})\p{Extended_Pictographic}(?!\uFE0E)(?:\p{Emoji_Modifier}|\uFE0F)?"
    r"(?:[\U000E0020-\U000E007E]+\U000E007F)?"
)
_EMOJI = regex.compile(
    r"\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3"
    rf"|{_PICTOGRAPH}(?:\u200D{_PICTOGRAPH})*|(?![0-9#*])\p{{Emoji}}(?!\uFE0E)\uFE0F?"
)


def may_hold_emoji(text: str) -> bool:
    """False when no emoji sequence can be in the text (a fast test before _EMOJI)."""
    if text.isascii():
        return False
    return not code_points_matching(r"(?V1)[\p{Emoji}\u20E3--[0-9#*]]").isdisjoint(text)


def utf8_length(text: str) -> int:
    """Bytes in UTF-8 (a lone surrogate, which no network accepts, counts 3 rather than raise)."""
    return len(text.encode("utf-8", "surrogatepass"))


# --- X (twitter-text configuration v3) --------------------------------------------------------
# NFC first; each URL counts transformedURLLength (23); each emoji sequence counts 2; every other
# code point weighs 1 inside U+0000-10FF, U+2000-200D, U+2010-201F, U+2032-2037, else 2 (CJK, …,
# emoji parts outside a sequence). Valid when the weighted length is <= 280. Code points, not
# graphemes: e + U+0301 that NFC cannot compose is 2, Arabic letters with their marks count each.

X_MAX_WEIGHTED_LENGTH = 280
_X_WEIGHS_TWO = re.compile(r"[^\u0000-\u10FF\u2000-\u200D\u2010-\u201F\u2032-\u2037]+")


def _weighing_two(text: str) -> int:
    """How many code points weigh 2 (counted by runs: CJK text has long ones)."""
    return sum(map(len, _X_WEIGHS_TWO.findall(text)))


# Top-level domains a scheme-less link must end in: every two-letter country code, the original
# generic ones and the newer ones seen most. Links typed with http(s):// need none of them.
_TLD_NAMES = """
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br
    bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do
    dz ec ee eg er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt
    gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp
    kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms
    mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr
    ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx
    sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn
    vu wf ws ye yt za zm zw
    com net org edu gov mil int arpa info biz name pro aero asia cat coop jobs mobi museum tel
    travel post xxx
    academy agency app art audio bar bayern beer berlin best bike bio blog blue book boutique
    build business buzz cafe camera camp capital care careers cash center chat cheap church
    city click cloud club codes coffee college community company computer consulting cool
    dance data dating deals design dev digital direct directory domains earth eco education
    email energy engineering enterprises equipment estate events exchange expert express
    family fan farm fashion film finance fish fit fitness flights florist foundation fun fund
    furniture futbol fyi gallery games garden gay gift gifts global gmbh gold golf google
    graphics green group guide guru hamburg health help hiphop hockey holdings holiday homes
    horse host hosting house how immo inc industries ink institute insure international
    investments jetzt jewelry kaufen kim kitchen koeln land lat law lawyer lease legal lgbt
    life lighting limited link live llc loan loans lol london love ltd luxury maison
    management market marketing mba media memorial menu miami moda moe money monster mov
    network new news ngo ninja nrw nyc one onl online ooo page paris partners parts party pet
    photo photography photos pics pictures pink pizza place plumbing plus poker press
    productions promo properties property pub quest recipes red rehab reise reisen rent
    rentals repair report rest restaurant review reviews rich rip rocks rodeo ruhr run sale
    salon sarl school schule science services shoes shop shopping show singles site ski social
    software solar solutions space store stream studio style sucks supplies supply support
    surf swiss systems tattoo tax taxi team tech technology tennis theater tienda tips tires
    today tokyo tools top tours town toys trade training tube university uno vacations vegas
    ventures vet video villas vin vip vision vodka vote voting voyage watch webcam website
    wedding wien wiki win wine work works world wtf xyz yoga youtube zone
"""
_TLDS = frozenset(_TLD_NAMES.split())

# Path, query and fragment: Latin, Cyrillic and Greek letters, digits and URL punctuation (a CJK
# character ends the link). The last character must be one of _X_PATH_END or a balanced ')'.
_X_PATH = r"(?:[/?#][\p{Latin}\p{Cyrillic}\p{Greek}\p{Nd}\p{M}!*';:=+,.$/%#@&~?_()\[\]-]*)?"
_X_PATH_END = regex.compile(r"[\p{Latin}\p{Cyrillic}\p{Greek}\p{Nd}\p{M}/=_#+&-]")
# A host label with a scheme: any characters but spaces, controls and punctuation (so ☃.net is
# a host), '_' anywhere, '-' inside.
_LABEL_CHAR = r"(?:[^\s\p{C}\p{P}$+<=>^`|~]|_)"
_LABEL = rf"{_LABEL_CHAR}(?:(?:{_LABEL_CHAR}|-)*{_LABEL_CHAR})?"
_ASCII_LABEL = r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?"
# Not glued to a preceding ASCII letter or digit, nor part of a mention, cashtag or hashtag.
_NOT_AFTER = r"A-Za-z0-9@$#\uFF20\uFF03"
_X_SCHEME = regex.compile(rf"(?<![{_NOT_AFTER}])https?://", regex.IGNORECASE)
# User info before '@' (the '@' is checked apart: a pattern that must hold an '@' makes the
# regex module look for one in all the rest of the text, at every try).
_X_USERINFO = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:%-]++")
_X_IP_HOST = regex.compile(r"\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_X_LABELS = regex.compile(rf"(?:{_LABEL_CHAR}(?:-*+{_LABEL_CHAR})*+\.)*+")
# The same for ASCII labels (where a label character is a letter, a digit or '_'), with re:
# it runs through a megabyte of "a." ten times faster; the regex module goes on from its end.
_X_ASCII_LABELS = re.compile(r"(?:[A-Za-z0-9_]++(?:-++[A-Za-z0-9_]++)*+\.)*+")
_X_LETTERS = re.compile(r"[A-Za-z]++")
_X_PUNYCODE = regex.compile(r"(?i:xn--)[A-Za-z0-9-]++(?![_])")
_X_LETTERS_MARKS = regex.compile(rf"[\p{{L}}\p{{M}}]{{2,}}+(?!{_LABEL_CHAR}|-)")
_X_TLD_START = re.compile(r"(?<![^.])(?:[A-Za-z]{2}|(?i:xn--))")  # at a label's start
_X_ASCII_AFTER_TLD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _end(pattern: re.Pattern[str] | regex.Pattern[str], text: str, at: int) -> int:
    """Where a pattern that always matches (a possessive run) ends, matched at text[at]."""
    found = pattern.match(text, at)
    return at if found is None else found.end()


def _x_ascii_tld(text: str, at: int) -> int | None:
    """End of an ASCII top-level domain (2-63 letters, or xn-- punycode) at text[at]."""
    letters = _X_LETTERS.match(text, at)
    if letters is not None:
        end = letters.end()
        if 2 <= end - at <= 63 and (end == len(text) or text[end] not in _X_ASCII_AFTER_TLD):
            return end
    punycode = _X_PUNYCODE.match(text, at)
    return None if punycode is None else punycode.end()


def _x_other_tld(text: str, at: int) -> int | None:
    """End of a top-level domain of two or more letters and marks (e.g. پاکستان) at text[at]."""
    found = _X_LETTERS_MARKS.match(text, at)
    return None if found is None else found.end()


def _x_host_end(text: str, at: int) -> int | None:
    """Where the host after "http(s)://" (and any user info) at text[at] ends: an IP address,
    or labels then a top-level domain (as many labels as can be; ASCII ones first)."""
    address = _X_IP_HOST.match(text, at)
    if address is not None:
        return address.end()
    chain = _end(_X_LABELS, text, _end(_X_ASCII_LABELS, text, at))
    if chain == at:
        return None
    labels = text[at : chain - 1].split(".")
    plain = text[at:chain].isascii()
    for tld in (_x_ascii_tld, _x_other_tld):
        end = tld(text, chain)  # after the last label first: as many labels as can be
        if end is not None:
            return end
        if plain and (  # no label of an ASCII chain can start one: skip them all at once
            _X_TLD_START.search(text, at + len(labels[0]) + 1, chain) is None
            if tld is _x_ascii_tld else max(map(len, labels)) <= 63
        ):
            continue
        tld_at = chain
        for label in reversed(labels[1:]):
            tld_at -= len(label) + 1
            # A label of ASCII letters is a top-level domain only for _x_ascii_tld; mixed ASCII
            # labels never are (skipped without a regex: a megabyte of "a." is 500,000 labels).
            if label.isascii() and (
                not label[:2].isalpha() if tld is _x_ascii_tld else len(label) <= 63
            ) and not label.lower().startswith("xn--"):
                continue
            end = tld(text, tld_at)
            if end is not None:
                return end
    return None


def _x_scheme_url(text: str, start: int) -> tuple[tuple[int, int], int] | None:
    """The host span and the end (before trimming) of an http(s) link starting at text[start]."""
    scheme = _X_SCHEME.match(text, start)
    if scheme is None:
        return None
    after = scheme.end()
    userinfo = _end(_X_USERINFO, text, after)
    with_userinfo = userinfo > after and text.startswith("@", userinfo)
    starts = [userinfo + 1, after] if with_userinfo else [after]
    for host_start in starts:
        host_end = _x_host_end(text, host_start)
        if host_end is not None:
            return (host_start, host_end), _end(_X_AFTER_HOST, text, host_end)
    return None


# Scheme-less: ASCII labels ending in a known TLD, not inside a path or an e-mail address.
# (The top-level domain is looked up in a set: a regex alternation of 600 names costs 30 us a
# try, and a long run of labels tries it at every label.)
_X_NOT_BEFORE_BARE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@$#\uff20\uff03-_./"
)
# ASCII-only patterns use the standard library's re: on plain classes it runs several times
# faster than the regex module (a megabyte of "a." in 15 ms, not 130).
_X_BARE_LABELS = re.compile(r"(?:[A-Za-z0-9]++(?:[_-]++[A-Za-z0-9]++)*+\.)*+")
_X_TLD_RUN = re.compile(r"[A-Za-z0-9_-]*+")
_X_AFTER_HOST = regex.compile(rf"(?::\d{{1,5}})?{_X_PATH}")
_BARE_HOST_RUN = re.compile(r"[A-Za-z0-9_.-]*+")
_DOT_LETTER = re.compile(r"\.[A-Za-z]")
_BARE_HOST_RUN_BEFORE = regex.compile(r"[A-Za-z0-9_.-]*+", regex.REVERSE)


def _x_bare_host(text: str, start: int) -> int | None:
    """Where a scheme-less host starting at text[start] ends: as many labels as can be, the
    last one a top-level domain from _TLDS not followed by '@'."""
    if start > 0 and text[start - 1] in _X_NOT_BEFORE_BARE:
        return None
    chain = _end(_X_BARE_LABELS, text, start)
    if chain == start:
        return None
    tail = _end(_X_TLD_RUN, text, chain)
    if text[chain:tail].lower() in _TLDS and text[tail : tail + 1] != "@":
        return tail
    labels = text[start : chain - 1].lower().split(".")
    found = _TLDS.intersection(labels[1:])
    if not found:
        return None
    reverse = labels[::-1]
    last = max(len(labels) - 1 - reverse.index(name) for name in found)
    return start + len(".".join(labels[: last + 1]))


def _valid_host(host: str) -> bool:
    """Label lengths (63, measured in punycode for non-ASCII labels), no '-' at either end,
    '_' only in subdomains, IPv4 octets <= 255."""
    if host.startswith("["):
        return True
    labels = host.split(".")
    if all(label.isdigit() for label in labels):
        return all(int(label) <= 255 for label in labels)
    for label in labels:
        try:
            size = len(label) if label.isascii() else 4 + len(label.encode("punycode"))
        except UnicodeError:
            return False
        if size > 63 or label.startswith("-") or label.endswith("-"):
            return False
        if label.lower().startswith("xn--") and not label.isascii():
            return False
    return "_" not in labels[-2]


# A link ends on one of these, or on the ')' of a balanced pair (two levels at most): what
# follows belongs to the sentence. Searched backwards, so each character is looked at once.
_X_LINK_LAST = regex.compile(
    r"[\p{Latin}\p{Cyrillic}\p{Greek}\p{Nd}\p{M}/=_#+&-]"
    r"|\((?:[^()]++|[^()]*+\([^()]++\)[^()]*+)\)",
    regex.REVERSE,
)


def _x_span(text: str, start: int, host: tuple[int, int], end: int) -> tuple[int, int] | None:
    """The link text[start:end] with its host at text[host[0]:host[1]], without the punctuation
    after its last letter, digit or balanced pair; None when the host is not valid."""
    host_start, host_end = host
    if not _valid_host(text[host_start:host_end]):
        return None
    if text.endswith(")", host_end, end) and text.find("(", host_end, end) == -1:
        # Without a '(' no ')' can close a pair, so the ')' run at the end is cut at once (a
        # megabyte of them took the backward search 190 ms).
        end = host_end + len(text[host_end:end].rstrip(")"))
    last = _X_LINK_LAST.search(text, host_end, end)
    return start, (last.end() if last else host_end)


def x_urls(text: str) -> list[tuple[int, int]]:
    """Where X sees links in (NFC) text, as (start, end) spans. Anchored on "://" and on dots
    followed by a letter, so plain prose costs next to nothing; each character is looked at a
    bounded number of times."""
    spans: list[tuple[int, int]] = []
    found = text.find("://")
    while found != -1:
        scheme = 5 if text[max(found - 5, 0) : found].lower() == "https" else 4
        if text[max(found - scheme, 0) : found].lower() in ("http", "https"):
            url = _x_scheme_url(text, found - scheme)
            span = url and _x_span(text, found - scheme, *url)
            if span:
                spans.append(span)
                found = span[1] - 3
        found = text.find("://", found + 3)
    linked = list(spans)
    next_link = 0  # the first scheme link that does not end before the dot
    covered = 0  # everything before this is inside a link or was tried already
    searched = 0  # dots before this were looked at
    # Only a dot before an ASCII letter can end a scheme-less host's label, so only those are
    # visited (one search in C, not a Python step per dot); a dot skipped inside a scheme
    # link still moves `covered` past that link.
    letter_dot = _DOT_LETTER.search(text)
    while letter_dot is not None:
        dot = letter_dot.start()
        while next_link < len(linked) and linked[next_link][1] <= dot:
            link_start, link_end = linked[next_link]
            if text.find(".", max(link_start, searched), link_end) != -1:
                covered = max(covered, link_end)
            next_link += 1
        if next_link < len(linked) and linked[next_link][0] <= dot:
            covered = linked[next_link][1]
        else:
            # Only the start of a run of host characters can start a link.
            before = _BARE_HOST_RUN_BEFORE.match(text, covered, dot)
            start = dot if before is None else before.start()
            host_end = _x_bare_host(text, start)
            span = None
            if host_end is not None:
                end = _end(_X_AFTER_HOST, text, host_end)
                span = _x_span(text, start, (start, host_end), end)
            if span:
                spans.append(span)
                covered = span[1]
            else:  # no link starts later in this run either: each would follow a '.'
                covered = _end(_BARE_HOST_RUN, text, dot)
        searched = max(dot + 1, covered)
        letter_dot = _DOT_LETTER.search(text, searched)
    return sorted(spans)


def link_spans(text: str) -> list[tuple[int, int]]:
    """Everything any rule here takes for a link: http(s) links up to the next space (as
    Mastodon sees them, before trailing punctuation is dropped) and X's links, with or without
    a scheme. Sorted, may overlap."""
    spans = [(m.start(), m.end()) for m in _URL.finditer(text)] if "://" in text else []
    return sorted(spans + x_urls(text))


def _x_weight(segment: str) -> int:
    """Weighted length (in whole characters) of text that holds no link."""
    if segment.isascii():
        return len(segment)
    weight = len(segment) + _weighing_two(segment)
    if not may_hold_emoji(segment):
        return weight
    emoji = _EMOJI.findall(segment)  # each weighs 2 instead of the sum of its code points
    joined = "".join(emoji)
    return weight + 2 * len(emoji) - len(joined) - _weighing_two(joined)


def x_length(text: str, url_length: int = 23) -> int:
    """twitter-text v3 weighted length: compare with X_MAX_WEIGHTED_LENGTH."""
    text = unicodedata.normalize("NFC", text)
    links = x_urls(text)
    if not links:
        return _x_weight(text)
    # The text between links is weighed in one call, each piece ended by a line break (which
    # weighs 1 and which no emoji sequence crosses): a call per piece cost more than the rest.
    pieces, pos = [], 0
    for start, end in links:
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    return len(links) * url_length + _x_weight("\n".join(pieces)) - len(links)


def count_x(text: str, content_warning: str, url_length: int) -> int:
    return x_length(inline_warning(text, content_warning), url_length)


# --- Threads (500; an emoji counts as many as its UTF-8 bytes) ----------------------------------
# Grapheme clusters, except that each emoji sequence counts its UTF-8 bytes instead of 1
# (👍 4, 👍🏽 8, 🇩🇪 8, ❤️ 6, a ZWJ family of four 25). Links count as typed.

THREADS_MAX_LENGTH = 500


def threads_length(text: str) -> int:
    if not may_hold_emoji(text):
        return graphemes(text)
    # The emoji's bytes are the text's less those of the rest (one sub, no list of matches).
    rest, emoji = _EMOJI.subn("", text)
    return graphemes(text) + utf8_length(text) - utf8_length(rest) - emoji


def count_threads(text: str, content_warning: str, url_length: int) -> int:
    return threads_length(inline_warning(text, content_warning))


# --- LinkedIn (3000, "little" text format) ------------------------------------------------------
# The Posts API reads commentary as "little" text: \ | { } @ [ ] ( ) < > # * _ ~ are markup and,
# left bare, cut the post short. linkedin_escape puts a backslash before each; the escaped text is
# what is posted, so that is what counts. LinkedIn does not say what its 3000 counts: we count
# UTF-16 code units (what Java and JavaScript string lengths count), never fewer than code
# points or graphemes, so no text we accept is too long whichever unit it is.

LINKEDIN_MAX_LENGTH = 3000
LINKEDIN_RESERVED = "\\|{}@[]()<>#*_~"
_LINKEDIN_RESERVED_RE = re.compile("[" + re.escape(LINKEDIN_RESERVED) + "]")


def linkedin_escape(text: str) -> str:
    """The commentary to send: a backslash before each reserved character."""
    return _LINKEDIN_RESERVED_RE.sub(lambda match: "\\" + match.group(0), text)


def linkedin_length(text: str) -> int:
    """UTF-16 code units of the text as posted (escaped): each reserved character adds one."""
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    return units + sum(map(text.count, LINKEDIN_RESERVED))


def count_linkedin(text: str, content_warning: str, url_length: int) -> int:
    return linkedin_length(inline_warning(text, content_warning))


RULES: dict[str, Rule] = {
    "mastodon": count_mastodon,
    "graphemes": count_graphemes,
    "bluesky": count_bluesky,
    "x": count_x,
    "threads": count_threads,
    "linkedin": count_linkedin,
}


class UnknownRule(KeyError):
    pass


def count_text(rule: str, text: str, *, content_warning: str = "", url_length: int = 23) -> int:
    """How long `text` (with its content warning) is under the named network rule."""
    try:
        counter = RULES[rule]
    except KeyError:
        raise UnknownRule(f"No counting rule named {rule!r}; known: {sorted(RULES)}") from None
    return counter(text, content_warning, url_length)
