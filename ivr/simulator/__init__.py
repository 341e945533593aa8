"""A stand-in for Twilio: plays inbound calls against the app over real HTTP.

``TwilioSimulator`` posts signed webhooks the way Twilio does, follows the TwiML it gets
back, serves the recordings it made on an emulated REST/media API, and reports what
happened in a ``CallResult``. Used by tests, demos, benchmarks and ``flask simulate-call``.
"""

from ivr.simulator.api import MediaStore, RecordingStats
from ivr.simulator.audio import synth_wav, tone_wav, wav_duration
from ivr.simulator.call import APPLICATION_ERROR
from ivr.simulator.callers import Caller, GatherPrompt
from ivr.simulator.result import (
    CallError,
    CallResult,
    Event,
    GatherInput,
    RecordingInfo,
    RequestRecord,
)
from ivr.simulator.script import HANGUP, CallScript, Faults
from ivr.simulator.simulator import TwilioSimulator

__all__ = [
    "APPLICATION_ERROR",
    "HANGUP",
    "CallError",
    "CallResult",
    "CallScript",
    "Caller",
    "Event",
    "Faults",
    "GatherInput",
    "GatherPrompt",
    "MediaStore",
    "RecordingInfo",
    "RecordingStats",
    "RequestRecord",
    "TwilioSimulator",
    "synth_wav",
    "tone_wav",
    "wav_duration",
]
