"""``<Record>``: the caller's voicemail, the media it leaves on the API, its callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ivr.simulator.audio import truncate_wav, wav_duration
from ivr.simulator.callbacks import PendingCallback
from ivr.simulator.params import new_sid, recording_status_params, transcription_params
from ivr.simulator.result import CallError, RecordingInfo
from ivr.simulator.script import HANGUP
from ivr.simulator.twiml import Document, Verb
from ivr.simulator.verbs import CallOver

if TYPE_CHECKING:
    from ivr.simulator.call import CallSession

MAX_TRANSCRIBED_S = 120  # Twilio transcribes recordings up to 2 minutes
_ENDINGS = {None: "", "#": ", presses #", HANGUP: ", then hangs up"}


def record(call: CallSession, verb: Verb, document: Document) -> Document | None:
    """Record the script's voicemail and request the action with the recording's URL.

    Silence makes no action request: Twilio goes on with the next verb. A caller who
    hangs up still gets the action requested (``Digits=hangup``), its TwiML ignored.
    """
    if verb.get("playBeep", "true") != "false":
        call.emit("ivr", "beep")
    started = call.clock.now()
    if call.voicemail is None or wav_duration(call.voicemail) == 0:
        _silence(call, verb, document, started)
        return None
    recording, cut = _keep(call, call.voicemail, verb.int_attr("maxLength", 3600))
    finished_by = _finished_by(call, verb, cut)
    call.emit(
        "caller", "record", f"leaves a {recording.duration_s} s message{_ENDINGS[finished_by]}"
    )
    _status_callbacks(call, verb, document, recording, started, "completed")
    _transcription_callback(call, verb, document, recording)
    url = call.resolve(document, verb.get("action"))
    params = {
        "RecordingUrl": recording.url,
        "RecordingSid": recording.sid,
        "RecordingDuration": str(recording.duration_s),
    }
    if finished_by is not None:
        params["Digits"] = finished_by
    if finished_by != HANGUP:
        return call.fetch("record", call.method(verb, document), url, params)
    call.status = "completed"
    outcome = call.answer("record", call.method(verb, document), url, params)
    if isinstance(outcome, CallError):
        call.error(outcome)
    raise CallOver("caller")


def _silence(call: CallSession, verb: Verb, document: Document, started: datetime) -> None:
    timeout = verb.int_attr("timeout", 5)
    call.emit("caller", "silence", f"says nothing ({timeout} s of silence)")
    call.clock.advance(timeout)
    sid = new_sid("RE")
    absent = RecordingInfo(sid, f"{call.account_url()}/Recordings/{sid}", 0)
    _status_callbacks(call, verb, document, absent, started, "absent")


def _keep(call: CallSession, audio: bytes, max_length: int) -> tuple[RecordingInfo, bool]:
    """Put the voicemail on the media API, cut at ``maxLength``; (recording, was cut)."""
    seconds = wav_duration(audio)
    cut = seconds > max_length
    if cut:
        audio, seconds = truncate_wav(audio, max_length), float(max_length)
    call.clock.advance(seconds)
    sid = new_sid("RE")
    url = f"{call.account_url()}/Recordings/{sid}"
    recording = RecordingInfo(sid, url, max(1, int(seconds + 0.5)))  # whole seconds, half up
    call.ctx.media.add(sid, call.result.call_sid, audio, recording.duration_s)
    call.result.recordings.append(recording)
    return recording, cut


def _finished_by(call: CallSession, verb: Verb, cut: bool) -> str | None:
    """The action's ``Digits``: ``#``, ``hangup``, or none (``maxLength`` or silence)."""
    if cut:
        return None
    if call.script.record_finish == HANGUP:
        return HANGUP
    if "#" in verb.attrs.get("finishOnKey", "1234567890*#"):
        return "#"
    call.clock.advance(verb.int_attr("timeout", 5))  # '#' does not end this Record: silence
    return None


def _status_callbacks(
    call: CallSession,
    verb: Verb,
    document: Document,
    recording: RecordingInfo,
    started: datetime,
    status: str,
) -> None:
    """``recordingStatusCallback``: in-progress at once, completed/absent after the call."""
    target = verb.get("recordingStatusCallback")
    if not target:
        return
    events = verb.get("recordingStatusCallbackEvent", "completed absent").split()
    method = call.method(verb, document, "recordingStatusCallbackMethod")
    url = call.resolve(document, target)
    params = recording_status_params(call.params, recording, status, started)
    if "in-progress" in events and status == "completed":
        in_progress = {**params, "RecordingStatus": "in-progress", "RecordingDuration": "-1"}
        call.send_callbacks(None, [PendingCallback("recording-status", method, url, in_progress)])
    if status in events:
        call.deferred.append(PendingCallback("recording-status", method, url, params))


def _transcription_callback(
    call: CallSession, verb: Verb, document: Document, recording: RecordingInfo
) -> None:
    """``transcribeCallback`` after the call: the script's text, or failed."""
    target = verb.get("transcribeCallback")
    if verb.get("transcribe") != "true" or not target:
        return
    text = call.script.transcription_text
    if recording.duration_s > MAX_TRANSCRIBED_S:
        text = None
    sid = new_sid("TR")
    transcription_url = f"{call.account_url()}/Transcriptions/{sid}"
    params = transcription_params(call.params, recording, sid, transcription_url, text)
    url = call.resolve(document, target)
    call.deferred.append(PendingCallback("transcription", "POST", url, params))
