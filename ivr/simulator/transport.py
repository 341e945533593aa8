"""Send one signed webhook request the way Twilio does, and keep a record of it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from ivr.simulator.result import CallError, RequestRecord
from ivr.simulator.signing import UrlMap, sign

USER_AGENT = "TwilioProxy/1.1"
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Reply:
    """The record of a request, the raw answer, and the failure Twilio would log if any."""

    record: RequestRecord
    body: bytes
    content_type: str
    error: CallError | None


class WebhookClient:
    """Signs and sends form-encoded requests to the app, one ``requests`` session per call."""

    def __init__(
        self, session: requests.Session, urls: UrlMap, auth_token: str, timeout_s: float
    ) -> None:
        self.session = session
        self.urls = urls
        self.auth_token = auth_token
        self.timeout_s = timeout_s

    def send(
        self,
        kind: str,
        method: str,
        url: str,
        params: Mapping[str, str],
        *,
        token: str | None = None,
        replay: bool = False,
    ) -> Reply:
        """Request ``url`` (public) with Twilio's parameters; never raises for HTTP trouble.

        GET carries the parameters in the query string and signs the full URL; POST
        signs the URL plus the sorted parameters.
        """
        form = dict(params)
        if method == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(form)}"
        token = token or str(uuid.uuid4())
        headers = {
            "X-Twilio-Signature": sign(self.auth_token, url, {} if method == "GET" else form),
            "I-Twilio-Idempotency-Token": token,
            "User-Agent": USER_AGENT,
        }
        sent_to = self.urls.address(url)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                sent_to,
                data=None if method == "GET" else form,
                headers=headers,
                timeout=(min(CONNECT_TIMEOUT_S, self.timeout_s), self.timeout_s),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            status, body, content_type = None, b"", ""
            error: CallError | None = CallError(_code_for(exc), kind, url, repr(exc))
        else:
            status, body = response.status_code, response.content
            content_type = response.headers.get("Content-Type", "")
            error = _status_error(kind, url, status)
        record = RequestRecord(
            method=method,
            url=url,
            params=form,
            status=status,
            elapsed_s=time.perf_counter() - started,
            response_text=body.decode("utf-8", errors="replace"),
            kind=kind,
            sent_to=sent_to,
            idempotency_token=token,
            replay=replay,
        )
        return Reply(record, body, content_type, error)


def _status_error(kind: str, url: str, status: int) -> CallError | None:
    """Anything but 2xx is a retrieval failure (the simulator does not follow redirects)."""
    if 200 <= status < 300:
        return None
    hint = " (redirects are not followed)" if 300 <= status < 400 else ""
    return CallError(11200, kind, url, f"HTTP retrieval failure: status {status}{hint}")


def _code_for(exc: requests.RequestException) -> int:
    """Twilio's debugger code: bad URL 11100, unreachable host or timeout 11205."""
    bad_url = (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
    )
    if isinstance(exc, bad_url):
        return 11100
    return 11205
