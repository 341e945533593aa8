"""One step of a console test call: the call simulator, placed against this same app.

Each step is one request of the page: it starts a :class:`TwilioSimulator` (signing every
webhook with the auth token, as Twilio does), plays the call up to the next ``<Gather>``
or its end, and stops it again; the paused call lives in the page as a signed token (see
:mod:`ivr.testcall.views`), so any web process can serve the next key press.

A worker thread is never held for long: at most :data:`MAX_CONCURRENT` steps run at once
per process (the others get "busy"), every webhook has :data:`REQUEST_TIMEOUT_S`, a call
at most :data:`MAX_VERBS` verbs, and the wait for the app to fetch a voicemail at the end
is bounded by :data:`DOWNLOAD_WAIT_S`. The webhooks come back into this server: with
``--workers 2 --threads 4`` the step holds one thread while another serves them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from ivr.simulator import CallScript, TwilioSimulator
from ivr.simulator.stepped import CallState, Step, continue_call, start_call

MAX_CONCURRENT = 2
REQUEST_TIMEOUT_S = 10.0
MAX_VERBS = 100
DOWNLOAD_WAIT_S = 15.0
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_slots = threading.BoundedSemaphore(MAX_CONCURRENT)


class LineBusy(RuntimeError):
    """Too many test call steps are running in this process right now."""


@dataclass(frozen=True)
class Line:
    """How to reach the app as Twilio would, and where its media API is expected."""

    app_url: str  # where the webhooks are sent
    public_base_url: str  # what they are signed for (PUBLIC_BASE_URL)
    account_sid: str
    auth_token: str
    api_base: str  # TWILIO_API_BASE: the app fetches recordings there
    hotline_number: str

    def media_port(self) -> int:
        """The port of ``api_base`` when it is on this machine (0: not local)."""
        parts = urlsplit(self.api_base)
        if parts.hostname not in _LOCAL_HOSTS or parts.port is None:
            return 0
        return parts.port


@dataclass(frozen=True)
class StepOutcome:
    """A step, and whether the voicemail left in it was fetched by the app."""

    step: Step
    voicemail_fetched: bool | None  # None: no voicemail reached the app in this step


def play_step(
    line: Line, state: CallState | None, keys: str | None, voicemail: bytes | None
) -> StepOutcome:
    """Start a call (``state`` None) or answer its waiting menu with ``keys``.

    Raises :class:`LineBusy` when :data:`MAX_CONCURRENT` steps already run here, and
    ``ValueError`` for a voicemail that is not a WAV file.
    """
    script = CallScript(from_number=None, to_number=line.hotline_number, voicemail=voicemail)
    if not _slots.acquire(blocking=False):
        raise LineBusy("the test line is busy")
    try:
        with _simulator(line) as sim:
            if state is None:
                step = start_call(sim, script)
            else:
                step = continue_call(sim, script, state, keys or "")
            fetched = None
            if step.state is None and step.result.recordings and voicemail is not None:
                fetched = sim.wait_for_downloads(DOWNLOAD_WAIT_S)
            return StepOutcome(step, fetched)
    finally:
        _slots.release()


@contextmanager
def _simulator(line: Line) -> Iterator[TwilioSimulator]:
    """A simulator serving recordings where the app fetches them, if that port is free.

    Two test calls ending at the same moment cannot both serve it: the second one's
    voicemail is then not fetched (the step reports it).
    """
    sim: TwilioSimulator | None = None
    for port in dict.fromkeys((line.media_port(), 0)):
        sim = TwilioSimulator(
            line.app_url,
            line.account_sid,
            line.auth_token,
            public_base_url=line.public_base_url,
            api_port=port,
            timeout_s=REQUEST_TIMEOUT_S,
            max_steps=MAX_VERBS,
        )
        try:
            sim.__enter__()
            break
        except OSError:  # the media port is taken: any port will do
            sim = None
    if sim is None:
        raise LineBusy("no port for the simulated media API")
    try:
        yield sim
    finally:
        sim.__exit__(None, None, None)
