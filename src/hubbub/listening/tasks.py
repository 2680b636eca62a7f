"""The background job: a person's rules applied again to their stored items."""

from __future__ import annotations

from django.tasks import task

from hubbub.listening import apply


@task()
def recompute_rules(user_id: int) -> None:
    apply.recompute(user_id)
