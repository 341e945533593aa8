"""The console's test call page against a live gunicorn server (two workers): a signed-in
operator places calls through the page's endpoints, in English and in French, key by
key; the webhooks come back signed into the same server, the voicemail is fetched."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from ivr.auth.passwords import hash_password
from models import Call, Database, Recording, Report, User
from tests.auth.helpers import PASSWORD
from tests.conftest import app_config
from tests.live import LiveServer, free_port, live_server, wait_for

# A bound for a machine busy with other work, not a timing.
pytestmark = [pytest.mark.live, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Phone:
    """A browser on the test call page: signed in, sends what testcall.js sends."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.url = server.url
        self.http = requests.Session()
        self.http.trust_env = False
        login = self.http.get(f"{self.url}/login")
        token = CSRF.search(login.text)
        assert token is not None
        signed_in = self.http.post(
            f"{self.url}/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert signed_in.status_code == 200, signed_in.text
        page = self.http.get(f"{self.url}/test-call/")
        assert page.status_code == 200 and 'src="/static/testcall.js"' in page.text
        found = CSRF.search(page.text)
        assert found is not None
        self.csrf = found.group(1)
        self.heard: list[dict[str, Any]] = []

    def post(self, path: str, data: dict[str, str], voicemail: Path | None) -> requests.Response:
        files = {}
        if voicemail is not None:
            files["voicemail"] = (voicemail.name, voicemail.read_bytes(), "audio/wav")
        return self.http.post(
            f"{self.url}/test-call/{path}",
            data=data,
            files=files or None,
            headers={"X-CSRFToken": self.csrf},
            timeout=60,
        )

    def call(self, keys: list[str], voicemail: Path | None) -> dict[str, Any]:
        """Start a call, then send ``keys`` one menu at a time; the last answer."""
        answer = self.post("start", {}, voicemail).json()
        self.heard = list(answer["lines"])
        for key in keys:
            assert answer["waiting"] is not None, self.heard
            response = self.post("key", {"state": answer["state"], "keys": key}, voicemail)
            assert response.status_code == 200, response.text
            answer = response.json()
            self.heard += answer["lines"]
            assert answer["errors"] == []
        return answer


@pytest.fixture
def server(own_postgres_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """A live server whose media API address is free for the page to serve; an operator."""
    port = free_port()
    # The page's simulator calls the server directly and signs for PUBLIC_BASE_URL (https,
    # as behind a proxy); plain http here, so the cookie may not be Secure.
    config = app_config(
        own_postgres_url,
        tmp_path,
        TWILIO_API_BASE=f"http://127.0.0.1:{free_port()}",
        TEST_CALL_BASE_URL=f"http://127.0.0.1:{port}",
        SESSION_COOKIE_SECURE="false",
    )
    with live_server(config, tmp_path, port=port) as live:
        yield live, own_postgres_url


def _stored(database_url: str, call_sid: str) -> tuple[Call, Report | None, list[Recording]]:
    database = Database(database_url)
    try:
        with database.session() as session:
            call = session.scalar(select(Call).where(Call.call_sid == call_sid))
            assert call is not None
            report = session.scalar(select(Report).where(Report.call_id == call.id))
            recordings = list(
                session.scalars(select(Recording).where(Recording.call_id == call.id))
            )
            return call, report, recordings
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("language", "keys", "voice"),
    [("en", ["1", "2", "2", "2"], "en-CA"), ("fr", ["2", "2", "2", "2"], "fr-CA")],
)
def test_a_call_placed_from_the_page_goes_through_the_line(
    server: tuple[LiveServer, str], language: str, keys: list[str], voice: str
) -> None:
    live, database_url = server
    username = _operator(database_url)
    phone = Phone(live, username)
    sample = ROOT / "docs" / "samples" / f"voicemail-{language}.wav"
    last = phone.call(keys, sample)
    assert last["ended"] is True and last["state"] is None
    assert last["voicemail_fetched"] is True
    said = [line for line in phone.heard if line["kind"] == "say"]
    assert said and said[-1]["language"] == voice
    assert any(line["kind"] == "record" for line in phone.heard)
    call, report, recordings = _stored(database_url, last["call_sid"])
    assert call.language == language and call.status == "completed"
    assert report is not None and report.category == "luring"
    spoken = " ".join(line["text"] for line in said)
    assert report.report_number in re.sub(r"\D", "", spoken)  # read digit by digit
    assert spoken.count("For English, press 1") == 1  # a resumed menu is not heard twice
    wait_for(
        lambda: all(r.stored_at for r in _stored(database_url, last["call_sid"])[2]),
        60,
        "the voicemail stored",
    )
    assert len(recordings) == 1


def test_the_page_refuses_foreign_tampered_and_unsigned_steps(
    server: tuple[LiveServer, str],
) -> None:
    live, database_url = server
    mine = Phone(live, _operator(database_url))
    theirs = Phone(live, _operator(database_url))
    answer = mine.post("start", {}, None).json()
    assert answer["waiting"] is not None and answer["lines"]
    stolen = theirs.post("key", {"state": answer["state"], "keys": "1"}, None)
    assert stolen.status_code == 400 and stolen.json()["error"] == "bad_state"
    tampered = mine.post("key", {"state": answer["state"][:-2] + "xx", "keys": "1"}, None)
    assert tampered.status_code == 400
    bad_keys = mine.post("key", {"state": answer["state"], "keys": "1; DROP"}, None)
    assert bad_keys.status_code == 400 and bad_keys.json()["error"] == "bad_keys"
    no_csrf = mine.http.post(f"{live.url}/test-call/start")
    assert no_csrf.status_code == 400
    anonymous = requests.post(f"{live.url}/test-call/start", timeout=10)
    assert anonymous.status_code == 401
    hung_up = mine.post("key", {"state": answer["state"], "keys": "hangup"}, None).json()
    assert hung_up["ended"] is True


def _operator(database_url: str) -> str:
    """A new operator account (password set, no second factor) in the server's database."""
    name = f"operator-{secrets.token_hex(4)}"
    database = Database(database_url)
    try:
        with database.session() as session, session.begin():
            session.add(
                User(
                    username=name,
                    role="operator",
                    password_hash=hash_password(PASSWORD),
                    must_change_password=False,
                    totp_enabled=False,
                    ui_language="en",
                    failed_logins=0,
                )
            )
        return name
    finally:
        database.dispose()
