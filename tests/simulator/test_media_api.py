"""The emulated REST/media API: recordings behind basic auth, downloads and deletes counted."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ivr.simulator import CallScript, RecordingInfo, TwilioSimulator, tone_wav

from .conftest import ACCOUNT_SID, AUTH_TOKEN, StubServer, twiml

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
VOICEMAIL = tone_wav(2.5)


@pytest.fixture
def recording(stub: StubServer, sim: TwilioSimulator) -> Iterator[RecordingInfo]:
    """A recording left on the simulator by one call."""
    stub.app.route("/twilio/voice", twiml('<Record action="/twilio/recorded"/>'))
    (made,) = sim.place_call(CallScript(voicemail=VOICEMAIL)).recordings
    yield made


def test_media_needs_basic_auth(sim: TwilioSimulator, recording: RecordingInfo) -> None:
    assert requests.get(recording.url, timeout=5).status_code == 401
    assert requests.get(recording.url, auth=(ACCOUNT_SID, "wrong"), timeout=5).status_code == 401

    response = requests.get(recording.url, auth=AUTH, timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/x-wav"
    assert response.content == VOICEMAIL
    assert requests.get(recording.url + ".wav", auth=AUTH, timeout=5).content == VOICEMAIL
    assert sim.recording_stats(recording.sid).downloads == 2


def test_mp3_is_not_served(sim: TwilioSimulator, recording: RecordingInfo) -> None:
    assert requests.get(recording.url + ".mp3", auth=AUTH, timeout=5).status_code == 415
    assert sim.recording_stats(recording.sid).downloads == 0


def test_metadata_as_json(sim: TwilioSimulator, recording: RecordingInfo) -> None:
    response = requests.get(recording.url + ".json", auth=AUTH, timeout=5)

    assert response.json()["sid"] == recording.sid
    assert response.json()["duration"] == "3"


def test_delete_then_gone(sim: TwilioSimulator, recording: RecordingInfo) -> None:
    requests.get(recording.url, auth=AUTH, timeout=5)

    assert requests.delete(recording.url + ".json", timeout=5).status_code == 401
    assert requests.delete(recording.url + ".json", auth=AUTH, timeout=5).status_code == 204
    assert requests.delete(recording.url + ".json", auth=AUTH, timeout=5).status_code == 404
    assert requests.get(recording.url, auth=AUTH, timeout=5).status_code == 404

    stats = sim.recording_stats(recording.sid)
    assert (stats.downloads, stats.deletes, stats.deleted) == (1, 1, True)


def test_unknown_recordings_and_accounts_are_not_found(
    sim: TwilioSimulator, recording: RecordingInfo
) -> None:
    other_account = recording.url.replace(ACCOUNT_SID, "AC" + "f" * 32)
    unknown = recording.url[: -len(recording.sid)] + "RE" + "0" * 32

    assert requests.get(other_account, auth=AUTH, timeout=5).status_code == 404
    assert requests.get(unknown, auth=AUTH, timeout=5).status_code == 404


def test_concurrent_downloads_are_all_counted(
    sim: TwilioSimulator, recording: RecordingInfo
) -> None:
    def fetch(_: int) -> bytes:
        return requests.get(recording.url, auth=AUTH, timeout=5).content

    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(fetch, range(40)))

    assert bodies == [VOICEMAIL] * 40
    assert sim.recording_stats(recording.sid).downloads == 40


def test_wait_for_downloads(sim: TwilioSimulator, recording: RecordingInfo) -> None:
    assert sim.wait_for_downloads(0.05) is False
    requests.get(recording.url, auth=AUTH, timeout=5)
    assert sim.wait_for_downloads(0.05) is True


def test_api_needs_the_context_manager(stub: StubServer) -> None:
    simulator = TwilioSimulator(stub.url, ACCOUNT_SID, AUTH_TOKEN)
    with pytest.raises(RuntimeError, match="context manager"):
        simulator.place_call()
