"""The per-target checks of a post read the owner's alt-text rule once, not once a target
(target_drafts.check_targets): three accounts and a thread on one of them, one read, and the rule
still applied to every part."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from hubbub.accounts.services import profile_for
from hubbub.networks.base import Draft, MediaFile
from hubbub.publishing.outgoing import TargetCustom
from hubbub.publishing.target_drafts import check_targets
from tests.web.conftest import make_connection

PICTURE = MediaFile(path="/nowhere/a.png", mime_type="image/png", alt_text="", size=10,
                    width=1, height=1)


def _profile_reads(queries: CaptureQueriesContext) -> int:
    return sum("accounts_profile" in q["sql"] for q in queries.captured_queries)


def test_the_alt_text_rule_is_read_once_for_all_targets(owner: User) -> None:
    targets = [make_connection(owner, f"@t{n}@fake.example", remote_id=str(n))
               for n in range(3)]
    thread = {targets[2].pk: TargetCustom(parts=("first part", "second part"))}
    draft = Draft(text="hello", media=(PICTURE,))
    with CaptureQueriesContext(db) as queries:
        problems = check_targets(draft, targets, thread)
    assert _profile_reads(queries) == 1
    # Required (the default): each target and the thread's first part, which has the picture.
    assert sum("alt text" in p for p in problems) == 3

    profile = profile_for(owner)
    profile.require_alt_text = False
    profile.save()
    with CaptureQueriesContext(db) as queries:
        assert check_targets(draft, targets, thread) == []
    assert _profile_reads(queries) == 1
