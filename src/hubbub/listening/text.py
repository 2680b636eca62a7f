"""Text as rules compare it: casefolded, accents stripped, split into words; hosts and
authors in one form."""

from __future__ import annotations

import re
import unicodedata

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


# Every ASCII byte that is not a word character (\w) as a space: an ASCII text is split into
# words by translating its bytes and splitting on spaces, a few times faster than the pattern.
_ASCII_SPACES = bytes(b if chr(b).isalnum() or b == 0x5F or b > 0x7F else 0x20
                      for b in range(256))


def words_of(text: str) -> list[str]:
    """The text's words (runs of word characters) once folded, in order."""
    folded = fold(text)
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_SPACES).decode("ascii").split()
    return _WORD.findall(folded)


def host_of(value: str) -> str:
    """The lower-case host of an address's authority part (user, port and a leading www.
    dropped)."""
    host = value.rsplit("@", 1)[-1].lower()
    if host.startswith("["):
        return host
    host = host.split(":", 1)[0].strip(".")
    return host[4:] if host.startswith("www.") else host


def author_key(value: str) -> str:
    """How an author is compared: no leading @, lower case; a Nostr hex key as its npub."""
    key = value.strip().lstrip("@").lower()
    if _NPUB_CHARS.match(key):
        from hubbub.networks.nostr import keys

        try:
            return keys.encode_bare("npub", key)
        except (ValueError, TypeError):
            return key
    return key
