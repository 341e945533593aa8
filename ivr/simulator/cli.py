"""``flask simulate-call``: place a simulated Twilio call against a running app."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.simulator.result import CallResult, describe
from ivr.simulator.script import DIAL_STATUSES, CallScript, RecordFinish
from ivr.simulator.simulator import TwilioSimulator

DELETE_GRACE_S = 2.0  # after the download, time left for the app to delete the recording
LOCAL_HOSTS = ("127.0.0.1", "localhost")

Echo = Callable[[str], None]


@click.command("simulate-call")
@click.option("--url", help="Base URL of the app to call.  [default: PUBLIC_BASE_URL]")
@click.option(
    "--digits",
    help="Answers for each <Gather>, comma separated: 2,1,,6135550142# "
    "(an empty item is no input, 'hangup' hangs up; when they run out the caller hangs up).",
)
@click.option(
    "--voicemail",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="WAV file the caller says at every <Record> (none: silence).",
)
@click.option("--from", "from_number", default="+16135550142", show_default=True, help="Caller id.")
@click.option("--to", "to_number", default="+18005550199", show_default=True, help="Number called.")
@click.option("--withheld", is_flag=True, help="Withhold the caller id (From=anonymous).")
@click.option("--transcription", help="Text of Twilio's transcription callback.")
@click.option("--record-finish", type=click.Choice(["#", "hangup"]), default="#", show_default=True)
@click.option(
    "--dial-status",
    type=click.Choice(sorted(DIAL_STATUSES)),
    default="no-answer",
    show_default=True,
)
@click.option("--interactive", is_flag=True, help="Ask for keys at each <Gather>.")
@click.option(
    "--json", "as_json", is_flag=True, help="Result as JSON on stdout; the rest on stderr."
)
@click.option(
    "--linger",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds to keep serving recordings after the call; ends early once all were fetched.",
)
@click.option(
    "--api-port",
    type=int,
    help="Port of the media API.  [default: the port of TWILIO_API_BASE when local, else any]",
)
@with_appcontext
def simulate_call(
    url: str | None,
    digits: str | None,
    voicemail: Path | None,
    from_number: str,
    to_number: str,
    withheld: bool,
    transcription: str | None,
    record_finish: RecordFinish,
    dial_status: str,
    interactive: bool,
    as_json: bool,
    linger: float,
    api_port: int | None,
) -> None:
    """Place a simulated Twilio call against the app and print what the caller hears.

    Requests are signed with TWILIO_AUTH_TOKEN for PUBLIC_BASE_URL, as Twilio would; the
    recordings are served on a local stand-in for Twilio's media API until the app has
    fetched them (see --linger). Exits with status 1 when the call logged errors.
    """
    config = current_app.config
    public_base = config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    try:
        script = CallScript(
            from_number=None if withheld else from_number,
            to_number=to_number,
            answers=digits.split(",") if digits is not None else [],
            voicemail=voicemail,
            record_finish=record_finish,
            transcription_text=transcription,
            dial_status=dial_status,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    echo: Echo = lambda line: click.echo(line, err=as_json)  # noqa: E731
    api_base = config.get("TWILIO_API_BASE", "")
    with ExitStack() as stack:
        sim = _start(stack, url or public_base, public_base, api_port, api_base)
        echo(f"Calling {url or public_base} (signed for {public_base}); media API {sim.api_base}")
        if api_base.rstrip("/") != sim.api_base:
            echo(f"note: the app's TWILIO_API_BASE is {api_base or '(unset)'}")
        if interactive:
            result = sim.place_call_interactive(script, read=_read_line, write=echo)
        else:
            result = sim.place_call(script, on_event=lambda event: echo(describe(event)))
        _linger(sim, result, linger, echo)
        _summarise(sim, result, echo)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    if result.errors:
        raise click.exceptions.Exit(1)


def _start(
    stack: ExitStack, app_base: str, public_base: str, api_port: int | None, api_base: str
) -> TwilioSimulator:
    """The simulator, started inside ``stack``, with the app's credentials."""
    config = current_app.config
    port = _api_port(api_base) if api_port is None else api_port
    try:
        simulator = TwilioSimulator(
            app_base,
            config.get("TWILIO_ACCOUNT_SID", ""),
            config.get("TWILIO_AUTH_TOKEN", ""),
            public_base_url=public_base,
            api_port=port,
        )
        return stack.enter_context(simulator)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"cannot start the simulator: {exc}") from exc


def _api_port(api_base: str) -> int:
    """The port the app expects Twilio's API on, when that is this machine; else any."""
    parts = urlsplit(api_base)
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and parts.port:
        return parts.port
    return 0


def _read_line(prompt: str) -> str:
    """A line from the terminal, the prompt on stderr so that stdout stays clean."""
    click.echo(prompt, nl=False, err=True)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def _linger(sim: TwilioSimulator, result: CallResult, seconds: float, echo: Echo) -> None:
    """Keep the media API up until the app downloaded (and likely deleted) each recording."""
    if not result.recordings or seconds <= 0:
        return
    echo(f"Serving {len(result.recordings)} recording(s) for up to {seconds:g} s...")
    deadline = time.monotonic() + seconds
    if sim.wait_for_downloads(seconds):
        grace = min(DELETE_GRACE_S, max(deadline - time.monotonic(), 0.0))
        sim.media.wait_until(lambda all_stats: all(s.deleted for s in all_stats), grace)


def _summarise(sim: TwilioSimulator, result: CallResult, echo: Echo) -> None:
    echo(f"Call {result.call_sid} ended by {result.ended_by} after {result.duration_s} s")
    requests = ", ".join(f"{r.kind} {r.status or 'failed'}" for r in result.requests)
    echo(f"Requests ({len(result.requests)}): {requests}")
    for recording in result.recordings:
        stats = sim.recording_stats(recording.sid)
        fate = "deleted" if stats.deleted else "not deleted"
        fetched = f"{stats.downloads} download(s), {fate}"
        echo(f"Recording {recording.sid} {recording.duration_s} s: {fetched}")
    for warning in result.warnings:
        echo(f"Warning: {warning}")
    echo(f"Errors ({len(result.errors)})" + "".join(f"\n  {error}" for error in result.errors))
