"""The worker's CPU priority: its nice value, and its session group's when it leads one.

``lower_priority`` cannot be undone by an unprivileged process, so each case runs in a
child process; the session group is a stand-in file, so the machine's stays untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import app_config
from tests.live import server_env

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
PROBE = """
import json, os, sys
from pathlib import Path
from ivr.jobs.priority import lower_priority
changed = lower_priority(int(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"changed": changed, "nice": os.getpriority(os.PRIO_PROCESS, 0)}))
"""


def probe(nice: int, autogroup: Path, *, session_leader: bool) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(nice), str(autogroup)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=session_leader,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def autogroup(tmp_path: Path) -> Path:
    path = tmp_path / "autogroup"
    path.write_text("/autogroup-4242 nice 0\n")
    return path


def test_a_session_leader_lowers_its_nice_and_its_session_group(autogroup: Path) -> None:
    result = probe(10, autogroup, session_leader=True)
    assert result == {"changed": ["nice 10", "session group nice 10"], "nice": 10}
    assert autogroup.read_text() == "10"


def test_a_worker_started_from_a_shell_leaves_the_shell_group_alone(autogroup: Path) -> None:
    result = probe(10, autogroup, session_leader=False)
    assert result == {"changed": ["nice 10"], "nice": 10}
    assert autogroup.read_text() == "/autogroup-4242 nice 0\n"


def test_zero_keeps_the_priority_and_a_lower_group_nice_is_not_raised(autogroup: Path) -> None:
    assert probe(0, autogroup, session_leader=True) == {"changed": [], "nice": 0}
    autogroup.write_text("/autogroup-4242 nice 15\n")
    result = probe(12, autogroup, session_leader=True)
    assert result == {"changed": ["nice 12"], "nice": 12}
    assert autogroup.read_text() == "/autogroup-4242 nice 15\n"


def test_out_of_range_values_are_clamped(autogroup: Path) -> None:
    assert probe(40, autogroup, session_leader=True)["nice"] == 19
    assert autogroup.read_text() == "19"


def test_the_worker_command_lowers_its_priority(sqlite_url: str, tmp_path: Path) -> None:
    """``--nice`` wins over ``WORKER_NICE``; started from this session, it keeps its group."""
    config = app_config(sqlite_url, tmp_path, REDIS_URL=REDIS, LOG_LEVEL="INFO", WORKER_NICE=10)
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "wsgi", "worker", "--burst", "--queues", "media", "--nice", "3"],
        cwd=ROOT,
        env=server_env(config),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "worker CPU priority lowered: nice 3\n" in done.stdout + done.stderr
