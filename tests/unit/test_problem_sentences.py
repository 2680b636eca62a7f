"""A refusal names each account's problem in a sentence of its own: joined with spaces, one
without its full stop ran into the next account's name ("…of 500@b@host: …")."""

from hubbub.publishing.target_drafts import problem_sentence


def test_each_problem_ends_as_a_sentence() -> None:
    first = problem_sentence("@a@host", "38 characters over the limit of 500")
    second = problem_sentence("@b@host (part 2)", "Add a description. ")
    assert " ".join([first, second]) == (
        "@a@host: 38 characters over the limit of 500. @b@host (part 2): Add a description.")
