"""Read a TwiML answer the way Twilio does before it runs it: reject what Twilio rejects."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

MAX_BODY_BYTES = 64 * 1024
TWIML_CONTENT_TYPES = frozenset({"text/xml", "application/xml", "text/html"})

# Attributes Twilio documents for the verbs the simulator runs; others earn a warning.
SIMULATED_VERBS: dict[str, frozenset[str]] = {
    name: frozenset(attributes.split())
    for name, attributes in {
        "Say": "voice language loop",
        "Play": "loop digits",
        "Pause": "length",
        "Gather": "action method timeout finishOnKey numDigits input language hints"
        " speechTimeout speechModel enhanced profanityFilter partialResultCallback"
        " partialResultCallbackMethod actionOnEmptyResult bargeIn debug dtmfDetection"
        " maxSpeechTime",
        "Record": "action method timeout finishOnKey maxLength playBeep trim"
        " recordingStatusCallback recordingStatusCallbackMethod recordingStatusCallbackEvent"
        " storageUrl storageUrlMethod transcribe transcribeCallback",
        "Redirect": "method",
        "Dial": "action method timeout hangupOnStar timeLimit callerId record trim"
        " recordingStatusCallback recordingStatusCallbackMethod recordingStatusCallbackEvent"
        " recordingTrack answerOnBridge ringTone sequential referUrl referMethod events"
        " callReason",
        "Hangup": "",
        "Reject": "reason",
    }.items()
}
# Real TwiML verbs the simulator does not run: they are skipped with a warning.
OTHER_VERBS = frozenset(
    {"Connect", "Echo", "Enqueue", "Leave", "Pay", "Refer", "Sms", "Start", "Stop"}
)
GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})


class TwimlError(Exception):
    """A document Twilio would refuse to run; ``code`` is Twilio's error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Verb:
    """One TwiML verb (or a noun inside ``<Dial>``) with its attributes and text."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    children: tuple[Verb, ...] = ()

    def get(self, attr: str, default: str = "") -> str:
        """The attribute's value, or ``default`` when it is absent or empty."""
        return self.attrs.get(attr) or default

    def int_attr(self, attr: str, default: int) -> int:
        """A numeric attribute; ``default`` when absent or not a number."""
        try:
            return int(self.get(attr, str(default)))
        except ValueError:
            return default


@dataclass(frozen=True)
class Document:
    """A parsed TwiML document and the URL it came from (relative URLs resolve on it)."""

    url: str
    verbs: tuple[Verb, ...]
    warnings: tuple[str, ...] = ()


def check_content_type(content_type: str) -> None:
    """Raise 12300 unless the media type is one Twilio reads as TwiML."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in TWIML_CONTENT_TYPES:
        raise TwimlError(12300, f"Content-Type {content_type or '(none)'!r} is not TwiML")


def parse_twiml(url: str, body: bytes, content_type: str) -> Document:
    """Parse and check an answer like Twilio: 64 kB, XML, ``<Response>`` root, known verbs.

    The body comes from the app under test; a DOCTYPE is refused outright, so no entity
    can expand, and the size is bounded before parsing.
    """
    if len(body) > MAX_BODY_BYTES:
        raise TwimlError(11750, f"response body of {len(body)} bytes is over 64 kB")
    check_content_type(content_type)
    if body[:1].isspace() and body.lstrip().startswith(b"<?xml"):
        raise TwimlError(12100, "whitespace before the <?xml declaration")
    if b"<!DOCTYPE" in body.upper():
        raise TwimlError(12100, "a DOCTYPE is not allowed in TwiML")
    try:
        root = ET.fromstring(body)  # noqa: S314 - DOCTYPE refused above
    except ET.ParseError as exc:
        raise TwimlError(12100, f"document parse failure: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(12100, f"the root element must be <Response>, not <{root.tag}>")
    warnings: list[str] = []
    verbs = tuple(_verb(element, warnings) for element in root)
    return Document(url=url, verbs=verbs, warnings=tuple(warnings))


def _verb(element: ET.Element, warnings: list[str]) -> Verb:
    name = element.tag
    if name not in SIMULATED_VERBS and name not in OTHER_VERBS:
        raise TwimlError(12200, f"unknown verb <{name}>")
    known = SIMULATED_VERBS.get(name)
    if known is not None:
        warnings.extend(
            f"12200: <{name}> has unknown attribute {a!r}" for a in element.attrib if a not in known
        )
    children: tuple[Verb, ...] = ()
    if name == "Gather":
        children = tuple(_gather_child(child, warnings) for child in element)
    elif name == "Dial":
        children = tuple(_noun(child) for child in element)
    elif name not in ("Say", *OTHER_VERBS) and len(element):
        raise TwimlError(12200, f"<{name}> cannot contain <{element[0].tag}>")
    return Verb(name, dict(element.attrib), _text(element), children)


def _gather_child(element: ET.Element, warnings: list[str]) -> Verb:
    if element.tag not in GATHER_CHILDREN:
        raise TwimlError(12200, f"<Gather> may not contain <{element.tag}>")
    return _verb(element, warnings)


def _noun(element: ET.Element) -> Verb:
    return Verb(element.tag, dict(element.attrib), _text(element))


def _text(element: ET.Element) -> str:
    """Text as spoken: SSML children included, whitespace collapsed."""
    if element.tag in ("Gather", "Dial"):
        return " ".join((element.text or "").split())
    return " ".join("".join(element.itertext()).split())
