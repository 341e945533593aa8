"""The telephony provider's media API behind a small interface (Twilio by default).

Recording URLs are rebuilt from the configured API base and the ids, never taken from
the webhook, so a request cannot make the server fetch an arbitrary address.
"""

from __future__ import annotations

from typing import Protocol

import requests


class MediaError(RuntimeError):
    """The provider did not give the recording (the job will retry)."""


class RecordingSource(Protocol):
    """Where recordings are fetched from and deleted."""

    def fetch(self, account_sid: str, recording_sid: str) -> bytes:
        """The recording's audio as WAV bytes."""
        ...

    def delete(self, account_sid: str, recording_sid: str) -> None:
        """Delete the provider's copy (a missing one counts as deleted)."""
        ...


class TwilioMedia:
    """Twilio's REST API (or an emulator at the same paths), with HTTP basic auth."""

    def __init__(
        self, api_base: str, account_sid: str, auth_token: str, timeout: float = 30
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.auth = (account_sid, auth_token)
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy or .netrc credentials from the environment

    def _url(self, account_sid: str, recording_sid: str, suffix: str) -> str:
        if not (account_sid.isalnum() and recording_sid.isalnum()):
            raise MediaError("malformed account or recording id")
        return (
            f"{self.api_base}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}{suffix}"
        )

    def fetch(self, account_sid: str, recording_sid: str) -> bytes:
        """GET the WAV; anything but 200 with a RIFF body is an error."""
        try:
            resp = self.http.get(
                self._url(account_sid, recording_sid, ".wav"), auth=self.auth, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise MediaError(f"download failed: {type(exc).__name__}") from exc
        if resp.status_code != 200 or not resp.content.startswith(b"RIFF"):
            raise MediaError(f"download failed: HTTP {resp.status_code}")
        return resp.content

    def delete(self, account_sid: str, recording_sid: str) -> None:
        """DELETE the recording at the provider; 404 means it is already gone."""
        try:
            resp = self.http.delete(
                self._url(account_sid, recording_sid, ".json"), auth=self.auth, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise MediaError(f"delete failed: {type(exc).__name__}") from exc
        if resp.status_code not in (200, 204, 404):
            raise MediaError(f"delete failed: HTTP {resp.status_code}")
