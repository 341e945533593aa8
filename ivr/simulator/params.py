"""The parameter sets Twilio sends, the ids it makes up, and the simulated call clock."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from email.utils import format_datetime

import phonenumbers
from phonenumbers import geocoder

from ivr.simulator.result import RecordingInfo

API_VERSION = "2010-04-01"
WITHHELD = "anonymous"

# Twilio reports Canadian numbers with the province code in FromState.
_PROVINCES = {
    "Alberta": "AB",
    "British Columbia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Northwest Territories": "NT",
    "Nova Scotia": "NS",
    "Nunavut": "NU",
    "Ontario": "ON",
    "Prince Edward Island": "PE",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Yukon": "YT",
}
_GEO_FIELDS = ("City", "State", "Zip", "Country")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped id: two letters and 32 hex digits (``CA...``, ``RE...``)."""
    return prefix + secrets.token_hex(16)


def twilio_time(moment: datetime) -> str:
    """RFC 2822 time as Twilio writes it: ``Tue, 07 Nov 2023 16:21:21 +0000``."""
    return format_datetime(moment)


def geography(number: str) -> dict[str, str]:
    """Best-effort City/State/Zip/Country of a number, empty when unknown or withheld."""
    geo = dict.fromkeys(_GEO_FIELDS, "")
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return geo
    geo["Country"] = str(phonenumbers.region_code_for_number(parsed) or "")
    place = str(geocoder.description_for_number(parsed, "en") or "")
    if place in _PROVINCES:
        geo["State"] = _PROVINCES[place]
    else:
        geo["City"] = place.upper()
    return geo


def call_parameters(call_sid: str, account_sid: str, from_: str, to: str) -> dict[str, str]:
    """What every voice request carries, ``CallStatus`` aside, legacy twins included."""
    params = {
        "CallSid": call_sid,
        "AccountSid": account_sid,
        "From": from_,
        "To": to,
        "Caller": from_,
        "Called": to,
        "ApiVersion": API_VERSION,
        "Direction": "inbound",
    }
    for side, twin, number in (("From", "Caller", from_), ("To", "Called", to)):
        for name, value in geography(number).items():
            params[side + name] = params[twin + name] = value
    return params


class VirtualClock:
    """Simulated call time: advanced by what the caller hears and waits for, never slept."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.elapsed_s = 0.0

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of call time pass."""
        self.elapsed_s += max(seconds, 0.0)

    def now(self) -> datetime:
        """The simulated wall-clock time."""
        return self.start + timedelta(seconds=self.elapsed_s)


def recording_status_params(
    call: dict[str, str], recording: RecordingInfo, status: str, started: datetime
) -> dict[str, str]:
    """A ``recordingStatusCallback`` request for a ``<Record>`` of the call."""
    return {
        "AccountSid": call["AccountSid"],
        "CallSid": call["CallSid"],
        "RecordingSid": recording.sid,
        "RecordingUrl": recording.url,
        "RecordingStatus": status,
        "RecordingDuration": str(recording.duration_s),
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
        "RecordingStartTime": twilio_time(started),
        "ErrorCode": "0",
    }


def transcription_params(
    call: dict[str, str],
    recording: RecordingInfo,
    transcription_sid: str,
    transcription_url: str,
    text: str | None,
) -> dict[str, str]:
    """A ``transcribeCallback`` request, sent after the call: ``text=None`` has failed."""
    return {
        **call,
        "CallStatus": "completed",
        "TranscriptionSid": transcription_sid,
        "TranscriptionText": text or "",
        "TranscriptionStatus": "failed" if text is None else "completed",
        "TranscriptionUrl": transcription_url,
        "RecordingSid": recording.sid,
        "RecordingUrl": recording.url,
    }
