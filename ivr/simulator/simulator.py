"""``TwilioSimulator``: plays Twilio's part against the app over real HTTP."""

from __future__ import annotations

import builtins
from collections.abc import Callable

from ivr.simulator.api import ApiServer, MediaStore, RecordingStats
from ivr.simulator.call import CallContext, CallSession, EventListener
from ivr.simulator.callers import Caller, InteractiveCaller, ScriptedCaller
from ivr.simulator.result import CallResult, describe
from ivr.simulator.script import CallScript, Faults
from ivr.simulator.signing import UrlMap


class TwilioSimulator:
    """Twilio for one account, as a context manager.

    On enter it serves the recordings API (``api_base``, the app's ``TWILIO_API_BASE``);
    ``place_call`` plays inbound calls against the app at ``app_base_url``. Requests are
    signed for ``public_base_url`` (defaults to ``app_base_url``), which stands in for
    ``app_base_url`` as a reverse proxy would: set it when the app validates signatures
    against a public URL other than the address it listens on.

    ``faults`` is the default delivery behaviour of every call; the paths are the app's
    Voice URL, call status callback and Fallback URL (``None``: not configured);
    ``max_steps`` bounds the verbs one call may run; ``timeout_s`` is Twilio's 15 s.
    """

    def __init__(
        self,
        app_base_url: str,
        account_sid: str,
        auth_token: str,
        *,
        public_base_url: str | None = None,
        api_host: str = "127.0.0.1",
        api_port: int = 0,
        faults: Faults | None = None,
        voice_path: str = "/twilio/voice",
        status_path: str | None = "/twilio/status",
        fallback_path: str | None = "/twilio/fallback",
        max_steps: int = 200,
        timeout_s: float = 15.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token are required")
        self.urls = UrlMap(app_base_url, public_base_url)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.faults = faults or Faults()
        self.voice_path = voice_path
        self.status_path = status_path
        self.fallback_path = fallback_path
        self.max_steps = max_steps
        self.timeout_s = timeout_s
        self._api_address = (api_host, api_port)
        self._server: ApiServer | None = None
        self._ctx: CallContext | None = None

    def __enter__(self) -> TwilioSimulator:
        server = ApiServer(*self._api_address, self.account_sid, self.auth_token)
        server.start()
        self._server = server
        self._ctx = CallContext(
            urls=self.urls,
            account_sid=self.account_sid,
            auth_token=self.auth_token,
            api_base=server.base_url,
            media=server.media,
            voice_path=self.voice_path,
            status_path=self.status_path,
            fallback_path=self.fallback_path,
            max_steps=self.max_steps,
            timeout_s=self.timeout_s,
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = self._ctx = None

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT`` of the simulated REST/media API."""
        return self._running().api_base

    @property
    def media(self) -> MediaStore:
        """The recordings made so far, with their download and delete counts."""
        return self._running().media

    def recording_stats(self, sid: str) -> RecordingStats:
        """How often the app downloaded and deleted one recording."""
        return self.media.stats(sid)

    def wait_for_downloads(self, timeout_s: float) -> bool:
        """Wait until every recording was downloaded at least once; False on timeout."""
        return self.media.wait_until(lambda stats: all(s.downloads for s in stats), timeout_s)

    def place_call(
        self,
        script: CallScript | None = None,
        *,
        faults: Faults | None = None,
        caller: Caller | None = None,
        on_event: EventListener | None = None,
    ) -> CallResult:
        """Play one inbound call to the end, callbacks included; never raises for app faults.

        ``faults`` overrides the simulator's for this call; ``caller`` replaces the
        script's answers (``place_call_interactive`` uses it); ``on_event`` sees each
        moment of the dialogue as it happens. Calls may be placed from several threads.
        """
        script = script or CallScript()
        caller = caller or ScriptedCaller(script.answers)
        session = self.new_session(script, caller=caller, faults=faults, on_event=on_event)
        return session.run()

    def new_session(
        self,
        script: CallScript,
        *,
        caller: Caller,
        faults: Faults | None = None,
        on_event: EventListener | None = None,
    ) -> CallSession:
        """A call not yet placed, for callers that drive it themselves (``run_from``)."""
        return CallSession(
            self._running(),
            script,
            caller=caller,
            faults=faults or self.faults,
            on_event=on_event,
        )

    def place_call_interactive(
        self,
        script: CallScript | None = None,
        *,
        read: Callable[[str], str] = builtins.input,
        write: Callable[[str], None] = builtins.print,
    ) -> CallResult:
        """A call answered at the terminal: prints what the caller hears, asks for keys.

        An empty line is no input, ``h`` hangs up. The script gives the numbers and the
        voicemail (its ``answers`` are not used).
        """
        caller = InteractiveCaller(read, write)
        return self.place_call(script, caller=caller, on_event=lambda e: write(describe(e)))

    def _running(self) -> CallContext:
        if self._ctx is None:
            raise RuntimeError(
                "use TwilioSimulator as a context manager: `with TwilioSimulator(...)`"
            )
        return self._ctx
