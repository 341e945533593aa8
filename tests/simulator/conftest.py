"""A small real webhook app for the simulator to call, and the simulator around it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from ivr.simulator import TwilioSimulator

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"

Handler = Callable[[Request], Response]


def twiml(*verbs: str) -> str:
    """A TwiML document holding ``verbs``."""
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


@dataclass(frozen=True)
class Received:
    """One request the stub app got, and whether its Twilio signature was valid."""

    method: str
    path: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    signature_valid: bool


@dataclass
class StubApp:
    """Answers fixed TwiML per path, like the real app checks every signature (403)."""

    auth_token: str
    public_base: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(
        self, path: str, body: str | Handler, *, status: int = 200, mimetype: str = "text/xml"
    ) -> None:
        """Answer ``path`` with ``body`` (a fixed document, or a function of the request)."""
        if isinstance(body, str):
            text = body
            self.routes[path] = lambda _request: Response(text, status, mimetype=mimetype)
        else:
            self.routes[path] = body

    def at(self, path: str) -> list[Received]:
        """The requests received on one path, in order."""
        with self.lock:
            return [r for r in self.received if r.path == path]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        query = request.query_string.decode()
        url = self.public_base + request.path + (f"?{query}" if query else "")
        form = request.form if request.method == "POST" else {}
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = bool(RequestValidator(self.auth_token).validate(url, form, signature))
        params = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
        with self.lock:
            self.received.append(
                Received(request.method, request.path, url, params, dict(request.headers), valid)
            )
        if not valid:
            response = Response("bad signature", 403)
        elif request.path in self.routes:
            response = self.routes[request.path](request)
        else:
            response = Response(twiml(), 200, mimetype="text/xml")
        return response(environ, start_response)


@dataclass
class StubServer:
    """The stub app served over HTTP on a free port."""

    app: StubApp
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    """A running stub app; by default it validates signatures against its own address."""
    app = StubApp(AUTH_TOKEN)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.public_base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield StubServer(app, server)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def sim(stub: StubServer) -> Iterator[TwilioSimulator]:
    """A simulator calling the stub app."""
    with TwilioSimulator(stub.url, ACCOUNT_SID, AUTH_TOKEN) as simulator:
        yield simulator
