r"""LinkedIn: 3,000 characters of commentary in its "little" text format.

The Posts API reads commentary as "little" text: \ | { } @ [ ] ( ) < > # * _ ~ are markup and,
left bare, cut the post short. linkedin_escape puts a backslash before each; the escaped text is
what is posted, so that is what counts. LinkedIn does not say what its 3000 counts: we count
UTF-16 code units (what Java and JavaScript string lengths count), never fewer than code points
or graphemes, so no text we accept is too long whichever unit it is.
"""

from __future__ import annotations

import re

from hubbub.core.counting_text import inline_warning, utf16_length

LINKEDIN_MAX_LENGTH = 3000
LINKEDIN_RESERVED = "\\|{}@[]()<>#*_~"
_LINKEDIN_RESERVED_RE = re.compile("[" + re.escape(LINKEDIN_RESERVED) + "]")


def linkedin_escape(text: str) -> str:
    """The commentary to send: a backslash before each reserved character."""
    return _LINKEDIN_RESERVED_RE.sub(lambda match: "\\" + match.group(0), text)


def linkedin_length(text: str) -> int:
    """UTF-16 code units of the text as posted (escaped): each reserved character adds one."""
    return utf16_length(text) + sum(map(text.count, LINKEDIN_RESERVED))


def count_linkedin(text: str, content_warning: str, url_length: int) -> int:
    return linkedin_length(inline_warning(text, content_warning))
