"""The limits the counting rules hold texts to are the ones the networks document (issue 10):

- Threads: "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8
  bytes." (Meta, Threads API, Posts: Limitations;
  https://developers.facebook.com/documentation/threads/posts). NETWORKS.md says the same.
- LinkedIn: 3,000 characters of commentary. LinkedIn's own Posts API pages state no number;
  the 3,000 comes from the publishing services that post through it (NETWORKS.md marks it as
  third-party), and the commentary is sent in LinkedIn's "little" format, escaped
  (https://learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format).
- X: 280 weighted (twitter-text v3; test_counting_x_conformance.py checks it against v3.json).

Each is checked at the limit and one past it, through the rule and, where the hub has the
network's connector, through its capabilities and validate.
"""

from __future__ import annotations

import pytest

from hubbub.core.counting import (
    LINKEDIN_MAX_LENGTH,
    THREADS_MAX_LENGTH,
    X_MAX_WEIGHTED_LENGTH,
    count_text,
    utf8_length,
)
from hubbub.networks.base import Draft
from hubbub.networks.linkedin import rules as linkedin_rules

THUMBS_UP = "\U0001f44d"  # 4 bytes in UTF-8
FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 25 bytes


def test_threads_takes_500_characters() -> None:
    assert THREADS_MAX_LENGTH == 500
    assert count_text("threads", "a" * 500) == 500
    assert count_text("threads", "a" * 501) == 501


@pytest.mark.parametrize(("emoji", "fitting"), [(THUMBS_UP, 125), (FAMILY, 20)])
def test_threads_counts_an_emoji_as_its_utf8_bytes(emoji: str, fitting: int) -> None:
    assert count_text("threads", emoji) == utf8_length(emoji)
    assert count_text("threads", emoji * fitting) <= THREADS_MAX_LENGTH
    assert count_text("threads", emoji * fitting + "a" * (500 % utf8_length(emoji) + 1)) > 500


def test_linkedin_takes_3000_characters_of_escaped_commentary() -> None:
    assert LINKEDIN_MAX_LENGTH == 3000
    assert count_text("linkedin", "a" * 3000) == 3000
    assert count_text("linkedin", "#" * 1500) == 3000  # each reserved character escaped
    assert count_text("linkedin", "#" * 1500 + "a") == 3001


def test_linkedins_connector_holds_drafts_to_3000() -> None:
    caps = linkedin_rules.capabilities()
    assert (caps.text_limit, caps.counting) == (3000, "linkedin")
    fits = linkedin_rules.validate(Draft(text="a" * 3000), caps)
    over = linkedin_rules.validate(Draft(text="a" * 3001), caps)
    assert (fits.count, fits.problems) == (3000, ())
    assert over.count == 3001
    assert [problem.code for problem in over.problems] == ["too_long"]


def test_x_takes_280_weighted() -> None:
    assert X_MAX_WEIGHTED_LENGTH == 280
    assert count_text("x", "a" * 280) == 280
    assert count_text("x", "\u65e5" * 140) == 280  # CJK weighs 2
    assert count_text("x", "\u65e5" * 140 + "a") == 281
