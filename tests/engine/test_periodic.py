from __future__ import annotations

from hubbub.jobs import periodic


def test_periodic_jobs_run_when_due_and_survive_failures() -> None:
    calls: list[str] = []

    def boom() -> None:
        calls.append("boom")
        raise RuntimeError("broken job")

    periodic.register("test-ok", 10, lambda: calls.append("ok"))
    periodic.register("test-boom", 10, boom)
    try:
        assert set(periodic.run_due(now=1000.0)) >= {"test-ok"}
        assert periodic.run_due(now=1005.0) == []  # not due yet
        ran = periodic.run_due(now=1010.5)
        assert "test-ok" in ran
        assert "test-boom" not in ran
        assert calls.count("ok") == 2
        assert calls.count("boom") == 2
    finally:
        periodic._jobs.pop("test-ok", None)
        periodic._jobs.pop("test-boom", None)
