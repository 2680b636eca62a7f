"""What a person has already muted on a network, as read by networks/<network>/mutes.py and
turned into rules by listening/imported.py: words, hashtags and authors, each possibly until a
moment, and sentences for what could not be taken over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# At most this many entries of one kind are read from a network (a bounded import).
MAX_ENTRIES = 1000


@dataclass(frozen=True, slots=True)
class Muted:
    """One muted thing. `kind` is "words", "hashtag" or "author" (a rule condition's name);
    `what` names where it came from ("muted account", "blocked account", "filter keyword")."""

    kind: str
    value: str
    what: str
    until: datetime | None = None


@dataclass(slots=True)
class Found:
    entries: list[Muted] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was taken over differently
    skipped: list[str] = field(default_factory=list)  # what was not taken over, and why
