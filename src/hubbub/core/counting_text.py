"""What every counting rule shares about the text itself: the warning where a network has no
field for one, sizes in UTF-8 and UTF-16, and lone surrogates (which JSON can carry and UTF-8
cannot)."""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def inline_warning(text: str, content_warning: str = "") -> str:
    """The text posted where a network has no content-warning field: the warning, if any,
    leads it as its own paragraph (and counts)."""
    warning = content_warning.strip()
    return f"CW: {warning}\n\n{text}" if warning else text


def utf8_length(text: str) -> int:
    """Bytes in UTF-8 (a lone surrogate, which no network accepts, counts 3 rather than raise)."""
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_length(text: str) -> int:
    """Code units in UTF-16 (what Java and JavaScript string lengths count)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def without_lone_surrogates(text: str) -> str:
    """The text as it would be sent: each lone surrogate as U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)
