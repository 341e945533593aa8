"""Hypothesis strategies for Twilio's webhook requests, and checks shared by the fuzz tests.

A drawn :class:`Webhook` is a shape, not a finished request: the CallSid and RecordingSid
get a fresh unique part when the request is built (:meth:`Webhook.build`), so that every
example writes rows of its own into the shared PostgreSQL database.
"""

from __future__ import annotations

import string
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Literal, TypeVar
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from tests.conftest import ACCOUNT_SID

MAX_TWIML_BYTES = 64_000
T = TypeVar("T")

# --- values ----------------------------------------------------------------------------

ODD_STRINGS = [
    "",
    " ",
    "*",
    "#",
    "*#",
    "#*",
    "**##",
    "hangup",
    "HANGUP",
    "Hangup ",
    "0",
    "9",
    "00",
    "1#",
    "#1",
    "+",
    "-1",
    "\x00",
    "1\x00",
    "\r\n",
    "\t",
    "\x1b[0m",
    "%",
    "%00",
    "&",
    "=",
    "<Response/>",
    "]]>",
    "&amp;",
    "{reference}",
    "null",
    "None",
    "\ufeff",
    "\u202e1",
    "\uff11\uff12",  # fullwidth digits
    "٣",  # Arabic-Indic three
    "²",
    "⑨",
    "🙂",
    "é",
    "\u0301",
    "\ufffd",
]
NUMBERISH = [
    "1" + "0" * 30,
    "-" + "1" + "0" * 30,
    "-1",
    "-0",
    "0",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e9",
    "1E400",
    "0x1F",
    "1_000",
    " 42",
    "42 ",
    "+42",
    "00042",
    "٤٢",
    "2147483647",
    "2147483648",
    "4294967296",
    "9999999999",
    "99999999999",
    "1.5",
    "1,5",
]
CALL_STATUSES = ["queued", "ringing", "in-progress", "completed", "busy", "failed"]
CALL_STATUSES += ["no-answer", "canceled"]
RECORDING_STATUSES = ["completed", "absent", "failed", "in-progress", "processing"]
DIAL_STATUSES = ["completed", "answered", "busy", "no-answer", "failed", "canceled"]
TIMESTAMPS = [
    "Wed, 04 Mar 2026 16:00:00 +0000",
    "Mon, 01 Jan 0001 00:00:00 +0000",  # read as 2001 (two-digit years)
    "Fri, 01 Jan 0100 00:00:00 +2359",
    "Fri, 31 Dec 9999 23:59:59 +0000",
    "Fri, 31 Dec 9999 23:59:59 -0100",
    "Thu, 01 Jan 1970 00:00:00 -0000",
    "31 Dec 9999 23:59:60 +0000",
    "Wed, 04 Mar 2026 16:00:00",
    "Wed, 04 Mar 2026 16:00:00 GMT",
    "Wed, 32 Mar 2026 16:00:00 +0000",
    "2026-03-04T16:00:00Z",
]
PHONES = ["+16135550142", "+12045550123", "+18005550199", "+447700900123", "anonymous"]
PHONES += ["restricted", "client:alice", "sip:x@y", "+266696687", "+1", "+" + "9" * 40]

# Text of any kind (no surrogates: they cannot travel in a UTF-8 request), control
# characters included.
any_text = st.text(max_size=24)
control_text = st.text(st.characters(codec="ascii", categories=["Cc"]), min_size=1, max_size=8)
long_text = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["9", "*#", "é", "🙂", "\x00", "a", "&<>"]),
    st.integers(min_value=65, max_value=2500),
)


def mostly(usual: st.SearchStrategy[T], unusual: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``usual`` three times in four, else ``unusual``.

    ``st.one_of`` flattens nested alternatives and picks among them evenly, so the few
    values that matter most (a final status, a date at the end of time) would drown in
    the many kinds of odd text.
    """
    return st.integers(0, 3).flatmap(lambda i: unusual if i == 0 else usual)


odd_text = st.one_of(st.sampled_from(ODD_STRINGS), any_text, control_text, long_text)
numberish = mostly(
    st.one_of(
        st.sampled_from(NUMBERISH),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.floats().map(str),
    ),
    odd_text,
)


def known_or_odd(known: list[str]) -> st.SearchStrategy[str]:
    """Mostly the values Twilio documents, sometimes anything at all."""
    return mostly(st.sampled_from(known), odd_text)


digits = mostly(
    st.one_of(
        st.sampled_from(["1", "2", "3", "4", "8", "9", "0", "#", "*", "2045550123#"]),
        st.text(alphabet="0123456789*#", max_size=16),
    ),
    odd_text,
)
urls = mostly(
    st.one_of(
        st.just(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1"),
        st.builds(lambda tail: "https://api.twilio.com/" + quote(tail), any_text),
    ),
    odd_text,
)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
# Any date and offset, the ends of time (years 1-99 read as 19xx/20xx) most of all.
rfc2822_dates = st.builds(
    lambda when, tz: format_datetime(when.replace(tzinfo=tz)),
    st.one_of(
        st.datetimes(),
        st.datetimes(min_value=datetime(9999, 12, 30)),
        st.datetimes(max_value=datetime(100, 1, 2)),
    ),
    offsets,
)
timestamps = mostly(st.one_of(st.sampled_from(TIMESTAMPS), rfc2822_dates), odd_text)

FIELDS: Mapping[str, st.SearchStrategy[str]] = {
    # sent with every voice request
    "AccountSid": mostly(st.just(ACCOUNT_SID), odd_text),
    "From": mostly(st.sampled_from(PHONES), odd_text),
    "To": mostly(st.sampled_from(PHONES), odd_text),
    "Caller": mostly(st.sampled_from(PHONES), odd_text),
    "Called": mostly(st.sampled_from(PHONES), odd_text),
    "CallStatus": known_or_odd(CALL_STATUSES),
    "ApiVersion": mostly(st.just("2010-04-01"), odd_text),
    "Direction": mostly(st.sampled_from(["inbound", "outbound-api"]), odd_text),
    "FromCity": odd_text,
    "FromState": odd_text,
    "FromCountry": odd_text,
    "CallerName": odd_text,
    # <Gather>, <Record>, <Dial> actions
    "Digits": digits,
    "FinishedOnKey": mostly(st.sampled_from(["#", "*", ""]), odd_text),
    "SpeechResult": odd_text,
    "Confidence": numberish,
    "RecordingUrl": urls,
    "RecordingDuration": numberish,
    "DialCallStatus": known_or_odd(DIAL_STATUSES),
    "DialCallSid": odd_text,
    "DialCallDuration": numberish,
    # callbacks
    "RecordingStatus": known_or_odd(RECORDING_STATUSES),
    "RecordingChannels": numberish,
    "RecordingSource": odd_text,
    "RecordingStartTime": timestamps,
    "ErrorCode": numberish,
    "ErrorUrl": urls,
    "TranscriptionSid": odd_text,
    "TranscriptionText": st.one_of(odd_text, st.text(max_size=200)),
    "TranscriptionStatus": known_or_odd(["completed", "failed"]),
    "TranscriptionUrl": urls,
    "CallDuration": numberish,
    "Timestamp": timestamps,
    "SequenceNumber": numberish,
    "CallbackSource": mostly(st.just("call-progress-events"), odd_text),
}
COMMON: tuple[str, ...] = ("AccountSid", "From", "To", "Caller", "Called", "CallStatus")
COMMON += ("ApiVersion", "Direction", "FromCity", "FromState", "FromCountry", "CallerName")
KNOWN_FIELDS = frozenset({*FIELDS, "CallSid", "RecordingSid"})

# --- ids -------------------------------------------------------------------------------

SidKind = Literal["valid", "missing", "empty", "long", "prefixed", "suffixed"]


@dataclass(frozen=True)
class SidShape:
    """How a Twilio id (CallSid, RecordingSid) is malformed; filled in by :meth:`make`."""

    kind: SidKind
    odd: str = ""

    def make(self, prefix: str, unique: str) -> str | None:
        """The id, around a unique part (kept within the first 64 characters)."""
        if self.kind == "missing":
            return None
        if self.kind == "empty":
            return ""
        if self.kind == "prefixed":
            return self.odd + unique
        return prefix + unique + self.odd


def sid_shapes() -> st.SearchStrategy[SidShape]:
    """Valid ids a third of the time; else too long, non-ASCII, control characters, empty."""
    valid = st.just(SidShape("valid"))
    odd = st.one_of(
        st.builds(SidShape, st.just("long"), st.integers(31, 200).map(lambda n: "f" * n)),
        st.builds(SidShape, st.just("suffixed"), odd_text.map(lambda s: s[:40])),
        st.builds(SidShape, st.just("prefixed"), odd_text.map(lambda s: s[:30])),
    )
    absent = st.sampled_from([SidShape("missing"), SidShape("empty")])
    return st.one_of(valid, valid, odd, absent)


def unique_hex() -> str:
    """32 fresh hex digits: every example's calls and recordings are its own."""
    return uuid.uuid4().hex


# --- requests --------------------------------------------------------------------------

Answer = Literal["twiml", "callback", "fallback"]


@dataclass(frozen=True)
class Endpoint:
    """One ``/twilio/*`` route: its methods, what it answers and its own fields."""

    path: str
    answer: Answer
    fields: tuple[str, ...]
    methods: tuple[str, ...] = ("POST", "GET")
    node_seq: bool = False  # takes ?node=..&seq=.. (an action URL)
    needs_recording_sid: bool = False


GATHER = ("Digits", "FinishedOnKey", "SpeechResult", "Confidence")
RECORD = ("RecordingUrl", "RecordingDuration", "Digits", "RecordingSid")
DIAL = ("DialCallStatus", "DialCallSid", "DialCallDuration")
RECORDING_STATUS: tuple[str, ...] = (
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingDuration",
)
RECORDING_STATUS += ("RecordingChannels", "RecordingSource", "RecordingStartTime", "ErrorCode")
TRANSCRIPTION: tuple[str, ...] = ("TranscriptionSid", "TranscriptionText", "TranscriptionStatus")
TRANSCRIPTION += ("TranscriptionUrl", "RecordingSid", "RecordingUrl")
STATUS = ("CallStatus", "CallDuration", "Timestamp", "SequenceNumber", "CallbackSource")
CALLBACK = ("POST",)
ENDPOINTS = (
    Endpoint("/twilio/voice", "twiml", ()),
    Endpoint("/twilio/gather", "twiml", GATHER, node_seq=True),
    Endpoint("/twilio/record", "twiml", RECORD, node_seq=True),
    Endpoint("/twilio/dial", "twiml", DIAL, node_seq=True),
    Endpoint(
        "/twilio/recording-status",
        "callback",
        RECORDING_STATUS,
        methods=CALLBACK,
        needs_recording_sid=True,
    ),
    Endpoint(
        "/twilio/transcription",
        "callback",
        TRANSCRIPTION,
        methods=CALLBACK,
        needs_recording_sid=True,
    ),
    Endpoint("/twilio/status", "callback", STATUS, methods=CALLBACK),
    Endpoint("/twilio/fallback", "fallback", ("ErrorCode", "ErrorUrl")),
    Endpoint("/twilio/fallback/recorded", "fallback", RECORD),
)
NODES = ["language", "main_menu", "info", "transfer", "danger", "message", "callback"]
NODES += ["callback_number", "callback_confirm", "close", "safety", "danger_advice"]
QUERY_CHARS = string.ascii_letters + string.digits + "%&=;+-_.~!$'()*,/:@?[]"


node_values = mostly(st.sampled_from(NODES), odd_text)
seq_values = st.one_of(st.integers(0, 12).map(str), numberish)
queries = st.one_of(
    st.builds(lambda n, s: urlencode({"node": n, "seq": s}), node_values, seq_values),
    st.lists(
        st.tuples(st.sampled_from(["node", "seq", "Digits", "CallSid", ""]) | any_text, odd_text),
        max_size=4,
    ).map(urlencode),
    st.text(QUERY_CHARS, max_size=40),  # raw: stray %, &&, =;, %FF (not UTF-8) ...
    st.builds(lambda n: "node=" + "x" * n + "&seq=1", st.integers(65, 3000)),
)


@dataclass(frozen=True)
class Request:
    """A request ready to send: method, path, raw query string and form parameters."""

    method: str
    path: str
    query: str
    params: dict[str, str]

    @property
    def target(self) -> str:
        """Path and query, as the signature's URL ends."""
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass(frozen=True)
class Webhook:
    """A drawn webhook: where it goes, how, and with which (odd) parameters."""

    endpoint: Endpoint
    method: str
    call_sid: SidShape
    recording_sid: SidShape
    form: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    query: str | None = ""  # None: the query of the step the call waits on

    def build(self, current: str = "node=language&seq=1", unique: str | None = None) -> Request:
        """The request, with ids around ``unique`` (fresh by default). GET carries the
        parameters in its query. ``current`` is the query of the action URL the call waits
        on, once it started.
        """
        unique = unique or unique_hex()
        query = current if self.query is None else self.query
        params = dict(self.form)
        call_sid = self.call_sid.make("CA", unique)
        if call_sid is not None:
            params["CallSid"] = call_sid
        recording_sid = self.recording_sid.make("RE", unique)
        if recording_sid is not None and (
            self.endpoint.needs_recording_sid or "RecordingSid" in self.endpoint.fields
        ):
            params["RecordingSid"] = recording_sid
        params.update(self.extra)
        if self.method == "GET":
            query = "&".join(q for q in (query, urlencode(params)) if q)
            return Request("GET", self.endpoint.path, query, {})
        return Request("POST", self.endpoint.path, query, params)


@st.composite
def webhooks(draw: st.DrawFn, endpoints: tuple[Endpoint, ...] = ENDPOINTS) -> Webhook:
    """Any webhook to any endpoint: odd values, missing fields, extra ones, odd queries."""
    endpoint = draw(st.sampled_from(endpoints))
    method = draw(st.sampled_from(["POST", "POST", "POST", "GET"]))
    own = [name for name in endpoint.fields if name != "RecordingSid"]
    common = [name for name in COMMON if name not in own]
    form = draw(st.fixed_dictionaries({}, optional={name: FIELDS[name] for name in common}))
    for name in own:  # the endpoint's own fields: there three times out of four
        value = draw(st.one_of(st.none(), FIELDS[name], FIELDS[name], FIELDS[name]))
        if value is not None:
            form[name] = value
    extra_names = st.text(max_size=16).filter(lambda name: name not in KNOWN_FIELDS)
    extra = draw(st.dictionaries(extra_names, odd_text, max_size=3))
    query: str | None
    if endpoint.node_seq:  # the answer to the step the call is on, or to any other
        query = draw(mostly(st.none(), queries))
    else:
        query = draw(st.one_of(st.just(""), st.just(""), queries))
    return Webhook(
        endpoint=endpoint,
        method=method,
        call_sid=draw(sid_shapes()),
        recording_sid=draw(sid_shapes()),
        form=form,
        extra=extra,
        query=query,
    )


# --- checks ----------------------------------------------------------------------------

VERBS = {"Say", "Play", "Pause", "Gather", "Record", "Redirect", "Dial", "Hangup"}
NESTED = {"Gather": {"Say", "Play", "Pause"}, "Dial": {"Number"}}


def assert_valid_twiml(text: str) -> ET.Element:
    """Twilio would run this: XML declaration first, <Response>, known verbs, < 64 kB."""
    assert text.startswith("<?xml"), text[:80]
    assert len(text.encode()) < MAX_TWIML_BYTES
    root = ET.fromstring(text)  # the app's own answer, not untrusted input
    assert root.tag == "Response"
    assert len(root) > 0
    for verb in root:
        assert verb.tag in VERBS, verb.tag
        allowed = NESTED.get(verb.tag, set())
        assert {child.tag for child in verb} <= allowed, (verb.tag, [c.tag for c in verb])
    for say in root.iter("Say"):
        assert say.text and "{" not in say.text
    return root
