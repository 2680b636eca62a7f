"""Text as rules compare it: casefolded, accents stripped, split into words; hosts and
authors in one form."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"\w+")
_NPUB_CHARS = re.compile(r"^[0-9a-f]{64}$")
# The combining marks NFKD splits accents into (Latin, Greek, Cyrillic and others' diacritics,
# and the supplements): removed by one regular expression, not a test a character.
_COMBINING = re.compile("[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff"
                        "\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a]")


def fold(text: str) -> str:
    """Casefolded, accents stripped (é -> e, Å -> a): what words are compared as."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


# Every ASCII byte that is not a word character (\w) as a space, and A-Z as a-z (what casefold
# does to ASCII); bytes past ASCII (a UTF-8 character's) as they are. A text is split into words
# by translating its UTF-8 bytes and splitting on spaces, a few times faster than the pattern.
_ASCII_SPACES = bytes(
    (b | 0x20 if 0x41 <= b <= 0x5A else b) if chr(b).isalnum() or b == 0x5F or b > 0x7F else 0x20
    for b in range(256))


def words_of(text: str) -> list[str]:
    """The text's words (runs of word characters) once folded, in order: what
    `_WORD.findall(fold(text))` gives, faster.

    The text is split where an ASCII character that is not a word character or any white space
    is; only the pieces holding a character past ASCII (a name with an accent, an emoji) are
    folded and split by the pattern. The same words: folding maps each character on its own
    (casefold, NFKD, combining marks removed: none reaches across a space or an ASCII
    separator), and the separators stay separators once folded."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_SPACES).decode("ascii").split()
    words: list[str] = []
    # surrogatepass: a lone surrogate (JSON allows one) goes through as it came.
    spaced = text.encode("utf-8", "surrogatepass").translate(_ASCII_SPACES)
    pieces = _PIECES
    for piece in spaced.decode("utf-8", "surrogatepass").split():
        if piece.isascii():
            words.append(piece)
            continue
        found = pieces.get(piece)
        if found is None:
            found = tuple(_WORD.findall(fold(piece)))
            if len(piece) <= PIECE_CHARS:
                if len(pieces) >= PIECES_KEPT:
                    pieces.clear()
                pieces[piece] = found
        words += found
    return words


# A piece past ASCII (between ASCII separators and spaces) -> its words: timelines repeat the
# same emoji, accented names and words of other scripts, whose folding (casefold, NFKD, the
# marks removed, the pattern) costs a few µs each time. A piece's words depend on the piece
# alone, so remembering them changes nothing. Short pieces only, emptied when full (at most a
# few MB); a plain dict, no lock: the GIL keeps each get and set whole, and a lost entry is
# only made again.
PIECES_KEPT = 8192
PIECE_CHARS = 64
_PIECES: dict[str, tuple[str, ...]] = {}


def host_of(value: str) -> str:
    """The lower-case host of an address's authority part (user, port and a leading www.
    dropped)."""
    host = value.rsplit("@", 1)[-1].lower()
    if host.startswith("["):
        return host
    host = host.split(":", 1)[0].strip(".")
    return host[4:] if host.startswith("www.") else host


@lru_cache(maxsize=8192)
def author_key(value: str) -> str:
    """How an author is compared: no leading @, lower case; a Nostr hex key as its npub.
    Remembered: a timeline's authors come back again and again (a Nostr key's npub is an
    encoding each time)."""
    key = value.strip().lstrip("@").lower()
    if _NPUB_CHARS.match(key):
        from hubbub.networks.nostr import keys

        try:
            return keys.encode_bare("npub", key)
        except (ValueError, TypeError):
            return key
    return key
