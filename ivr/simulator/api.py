"""The part of Twilio's REST/media API the app uses: fetch and delete recordings.

Routes, under ``/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}``:
``GET`` (no suffix or ``.wav``) serves the WAV; ``GET .json`` the recording's metadata;
``GET .mp3`` answers 415, since the simulator only holds the WAV it was given and
serving WAV bytes as MP3 would make hashes and players lie; ``DELETE`` (``.json`` or no
suffix) answers 204, then 404. Every route requires HTTP basic auth with the account SID
and auth token (401 otherwise), as with "Enforce HTTP Auth on Media URLs".
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ivr.simulator.params import API_VERSION, twilio_time

_RECORDING_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Recordings/"
    r"(?P<sid>RE[0-9a-fA-F]{32})(?P<suffix>\.wav|\.mp3|\.json)?$"
)


@dataclass(frozen=True)
class RecordingStats:
    """How the app treated one recording: successful downloads, deletes, deleted or not."""

    sid: str
    downloads: int
    deletes: int
    deleted: bool


@dataclass
class _Stored:
    call_sid: str
    audio: bytes
    duration_s: int
    created_at: datetime
    downloads: int = 0
    deletes: int = 0
    deleted: bool = False

    def stats(self, sid: str) -> RecordingStats:
        return RecordingStats(sid, self.downloads, self.deletes, self.deleted)


class MediaStore:
    """Recordings held by the simulated Twilio; safe to share between threads."""

    def __init__(self) -> None:
        self._recordings: dict[str, _Stored] = {}
        self._changed = threading.Condition()

    def add(self, sid: str, call_sid: str, audio: bytes, duration_s: int) -> None:
        """Hold a new recording until the app deletes it."""
        with self._changed:
            self._recordings[sid] = _Stored(call_sid, audio, duration_s, datetime.now(UTC))

    def stats(self, sid: str) -> RecordingStats:
        """Downloads and deletes of one recording (``KeyError`` for an unknown sid)."""
        with self._changed:
            return self._recordings[sid].stats(sid)

    def all_stats(self) -> list[RecordingStats]:
        """Downloads and deletes of every recording made so far."""
        with self._changed:
            return [stored.stats(sid) for sid, stored in self._recordings.items()]

    def wait_until(self, done: Callable[[list[RecordingStats]], bool], timeout_s: float) -> bool:
        """Block until ``done(all_stats())`` holds or ``timeout_s`` passes; its last value."""
        with self._changed:
            return self._changed.wait_for(lambda: done(self.all_stats()), timeout=timeout_s)

    def download(self, sid: str) -> bytes | None:
        """The audio of a live recording, counted as a download; ``None`` if unknown/deleted."""
        with self._changed:
            stored = self._live(sid)
            if stored is None:
                return None
            stored.downloads += 1
            self._changed.notify_all()
            return stored.audio

    def metadata(self, sid: str, account_sid: str) -> dict[str, Any] | None:
        """The recording resource as Twilio's REST API describes it (a subset)."""
        with self._changed:
            stored = self._live(sid)
            if stored is None:
                return None
            uri = f"/{API_VERSION}/Accounts/{account_sid}/Recordings/{sid}.json"
            return {
                "sid": sid,
                "account_sid": account_sid,
                "call_sid": stored.call_sid,
                "api_version": API_VERSION,
                "date_created": twilio_time(stored.created_at),
                "start_time": twilio_time(stored.created_at),
                "duration": str(stored.duration_s),
                "channels": 1,
                "source": "RecordVerb",
                "status": "completed",
                "error_code": None,
                "uri": uri,
            }

    def delete(self, sid: str) -> bool:
        """Delete a live recording; ``False`` if it is unknown or already deleted."""
        with self._changed:
            stored = self._live(sid)
            if stored is None:
                return False
            stored.deletes += 1
            stored.deleted = True
            stored.audio = b""
            self._changed.notify_all()
            return True

    def _live(self, sid: str) -> _Stored | None:
        stored = self._recordings.get(sid)
        return None if stored is None or stored.deleted else stored


class ApiServer(ThreadingHTTPServer):
    """A threaded HTTP server answering the recording routes for one account."""

    daemon_threads = True

    def __init__(self, host: str, port: int, account_sid: str, auth_token: str) -> None:
        super().__init__((host, port), _Handler)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.media = MediaStore()
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="twilio-sim-api",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server (the app's ``TWILIO_API_BASE``)."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.shutdown()
        self._thread.join()
        self.server_close()

    def authorized(self, header: str | None) -> bool:
        """True when ``Authorization`` carries this account's SID and auth token."""
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return hmac.compare_digest((header or "").encode(), f"Basic {expected}".encode())


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    server_version = "TwilioSimulator/1.0"

    def do_GET(self) -> None:
        route = self._route()
        if route is None:
            return
        sid, suffix = route
        if suffix == ".mp3":
            self._json(415, {"code": 20415, "message": "the simulator serves WAV only"})
            return
        if suffix == ".json":
            meta = self.server.media.metadata(sid, self.server.account_sid)
            if meta is None:
                self._not_found()
            else:
                self._json(200, meta)
            return
        audio = self.server.media.download(sid)
        if audio is None:
            self._not_found()
        else:
            self._send(200, "audio/x-wav", audio)

    def do_DELETE(self) -> None:
        route = self._route()
        if route is None:
            return
        sid, suffix = route
        if suffix not in ("", ".json") or not self.server.media.delete(sid):
            self._not_found()
        else:
            self._send(204, "", b"")

    def _route(self) -> tuple[str, str] | None:
        """(sid, suffix) of an authorized request for this account; answers it otherwise."""
        match = _RECORDING_PATH.match(self.path.split("?", 1)[0])
        if not self.server.authorized(self.headers.get("Authorization")):
            self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return None
        if match is None or match["account"] != self.server.account_sid:
            self._not_found()
            return None
        return match["sid"], match["suffix"] or ""

    def _not_found(self) -> None:
        self._json(404, {"code": 20404, "message": "The requested resource was not found"})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        payload.setdefault("status", status)
        self._send(status, "application/json", json.dumps(payload).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the simulator reports through its results, not stderr."""
