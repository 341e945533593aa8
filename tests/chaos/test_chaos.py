"""The chaos run, small: 60 calls while Redis, an rq worker and PostgreSQL fail under them.

Everything runs for real and privately (a PostgreSQL cluster of its own, a private Redis,
gunicorn, two rq workers): see ``bench/chaos.py``. The same run with 2,000 calls is
``.venv/bin/python -m bench.chaos``.
"""

from __future__ import annotations

import pytest

from bench.chaos import run_chaos

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.live]


@pytest.mark.timeout(900)  # a bound for a machine busy with other work, not a timing
def test_no_report_lost_or_duplicated_and_nothing_identifying_in_redis() -> None:
    result = run_chaos(60, concurrency=6, workers=2, settle_s=600)

    assert result.problems == []
    assert result.counts["reports"] == result.counts["distinct calls"] == 60
    assert result.counts["identifying strings found in Redis"] == 0
    # The faults really happened while calls were being placed.
    assert {"redis killed", "worker killed", "postgres stopping"} <= set(result.timeline)
    # The job the worker was killed in was taken back by rq and run again to the end.
    seen = [f"{name} {at:.1f} s" for name, at in result.timeline.items()] + result.notes
    assert "killed job taken back" in result.timeline, seen
    assert "killed job finished" in result.timeline, seen
    assert (
        result.timeline["worker killed"]
        < result.timeline["killed job taken back"]
        < result.timeline["killed job finished"]
    ), seen
