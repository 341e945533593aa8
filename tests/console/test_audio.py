"""The voicemail player's source: decrypted on the fly, checked against its SHA-256, served
by HTTP ranges, never cached, and one audit entry per play."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.auth.helpers import Console, audit_actions, last_audit_id, make_user
from tests.console.helpers import store_audio, tone_wav, vault
from tests.reports.factory import ReportFactory


@pytest.fixture
def played(app: Flask, make_report: ReportFactory) -> tuple[Console, str, bytes, str]:
    """A signed-in operator, the audio URL of a stored voicemail, the audio, the user."""
    number = make_report()
    audio = tone_wav(1.5)
    sid = store_audio(app, number, audio)
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    return console, f"/reports/{number}/recordings/{sid}/audio", audio, account.username


def test_the_whole_file_without_a_range(played: tuple[Console, str, bytes, str]) -> None:
    console, url, audio, _ = played
    response = console.get(url)
    assert response.status_code == 200 and response.data == audio
    assert response.mimetype == "audio/wav"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(audio)


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-50", -50, None),
     ("bytes=1000-1999", 1000, 1999)],
)  # fmt: skip
def test_ranges_are_answered_with_206(
    played: tuple[Console, str, bytes, str], header: str, start: int, end: int | None
) -> None:
    console, url, audio, _ = played
    response = console.get(url, headers={"Range": header})
    assert response.status_code == 206
    first = start if start >= 0 else len(audio) + start
    last = len(audio) - 1 if end is None else end
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(audio)}"
    assert response.data == audio[first : last + 1]
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unsatisfiable_range_is_416(played: tuple[Console, str, bytes, str]) -> None:
    console, url, audio, _ = played
    response = console.get(url, headers={"Range": f"bytes={len(audio)}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(audio)}"


def test_one_play_is_one_audit_entry_per_session(app: Flask, make_report: ReportFactory) -> None:
    number = make_report()
    url = f"/reports/{number}/recordings/{store_audio(app, number, tone_wav(1.5))}/audio"
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    before = last_audit_id(app)
    for header in ("bytes=0-", "bytes=0-99", "bytes=5000-"):  # a browser playing, seeking
        assert console.get(url, headers={"Range": header}).status_code == 206
    played = [("recording.play", account.username, "ok")]
    assert audit_actions(app, before) == played
    # The same user in another console session: another access.
    elsewhere = Console(app)
    elsewhere.sign_in(account)
    after_login = last_audit_id(app)
    assert elsewhere.get(url).status_code == 200
    assert audit_actions(app, after_login) == played
    # Once the window has passed, the first session's next request is a new play.
    app.config["PLAY_AUDIT_WINDOW"] = 0
    assert console.get(url, headers={"Range": "bytes=0-"}).status_code == 206
    assert audit_actions(app, after_login) == played * 2


@pytest.mark.parametrize("tampering", ["other audio", "altered ciphertext"])
def test_tampered_audio_is_refused_and_audited(
    app: Flask, make_report: ReportFactory, tampering: str
) -> None:
    number = make_report()
    sid = store_audio(app, number, tone_wav(0.5))
    path = Path(app.config["RECORDINGS_DIR"]) / f"recordings/{sid}.enc"
    if tampering == "other audio":
        # Other audio, validly encrypted: only the SHA-256 tells.
        vault(app).put(f"recordings/{sid}.enc", tone_wav(0.6))
    else:
        blob = bytearray(path.read_bytes())
        blob[len(blob) // 2] ^= 1
        path.write_bytes(bytes(blob))
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    before = last_audit_id(app)
    response = console.get(f"/reports/{number}/recordings/{sid}/audio")
    assert response.status_code == 409
    assert b"RIFF" not in response.data
    assert audit_actions(app, before) == [
        ("recording.integrity_failed", account.username, "failed")
    ]


def test_only_the_reports_own_recordings_are_served(app: Flask, make_report: ReportFactory) -> None:
    first, second = make_report(), make_report(minutes=1)
    sid = store_audio(app, first, tone_wav(0.2))
    console = Console(app)
    console.sign_in(make_user(app))
    assert console.get(f"/reports/{first}/recordings/{sid}/audio").status_code == 200
    assert console.get(f"/reports/{second}/recordings/{sid}/audio").status_code == 404
    assert console.get(f"/reports/{first}/recordings/RE0/audio").status_code == 404
