"""Custom emoji: the pictures a post names by `:shortcode:` (Mastodon's `emojis`, Nostr's NIP-30
`emoji` tags). Connectors hand ingest a map of shortcode -> picture address in
`extra["emoji"]`; the deck shows each `:shortcode:` of the text as its picture, through the
image proxy (timeline/templatetags/item_extras.py). Only plain shortcodes are kept (letters,
digits, underscore, as both networks define them) and at most MAX_EMOJI of them, so a hostile
server cannot turn a name into markup or a post into a thousand pictures."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from hubbub.core.sanitize import safe_url

SHORTCODE: Final = re.compile(r"[A-Za-z0-9_]{1,64}")
MAX_EMOJI: Final = 64


def emoji_map(pairs: Iterable[tuple[object, object]]) -> dict[str, str]:
    """{shortcode: address} from (shortcode, address) pairs: malformed ones are left out."""
    found: dict[str, str] = {}
    for code, url in pairs:
        if len(found) >= MAX_EMOJI:
            break
        if not isinstance(code, str) or not SHORTCODE.fullmatch(code) or code in found:
            continue
        address = safe_url(url)
        if address:
            found[code] = address
    return found
