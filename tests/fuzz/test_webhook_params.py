"""Fuzzing every ``/twilio/*`` endpoint with odd parameters, signed and forged.

Signed: never a server error, never the degraded path (it spools, so the spool must stay
empty except for the Fallback URL's own requests), and only the answers Twilio can use.
Forged: always 403, and nothing written anywhere.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from tests.conftest import call_params
from tests.fuzz.conftest import WebhookClient, examples
from tests.fuzz.strategies import (
    CALL_STATUSES,
    ENDPOINTS,
    Endpoint,
    Request,
    Webhook,
    assert_valid_twiml,
    known_or_odd,
    mostly,
    numberish,
    timestamps,
    unique_hex,
    webhooks,
)

FUZZ = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def present(value: str | None) -> bool:
    """Whether a parameter is there once the NULs that the app drops are gone."""
    return bool(value and value.replace("\x00", ""))


def expected_status(client: WebhookClient, hook: Webhook, req: Request, body: bytes | None) -> int:
    """What a signed request must get, from the parameters as the app decodes them."""
    if req.method not in hook.endpoint.methods:
        return 405
    seen = client.seen(req, body)
    # An id made of NULs alone is missing: the app drops NULs (PostgreSQL refuses them).
    if hook.endpoint.needs_recording_sid and not present(seen.get("RecordingSid")):
        return 400
    if hook.endpoint.answer != "fallback" and not present(seen.get("CallSid")):
        return 400
    return 204 if hook.endpoint.answer == "callback" else 200


def check_answer(client: WebhookClient, hook: Webhook, resp: TestResponse, expected: int) -> None:
    """The answer is what Twilio can use, and the degraded path was not taken."""
    event(f"{hook.endpoint.path} {resp.status_code}")
    assert resp.status_code < 500, resp.text
    assert resp.status_code == expected, (resp.status_code, resp.text[:300])
    if expected == 200:
        assert resp.mimetype == "text/xml"
        root = assert_valid_twiml(resp.text)
        records = [r.get("action", "") for r in root.iter("Record")]
        if hook.endpoint.answer == "twiml":  # not the degraded "leave a message" answer
            assert not any(a.endswith("/twilio/fallback/recorded") for a in records)


# The keys that take a new call to the step each action endpoint answers.
TO_STEP = {"/twilio/record": ["1", "1", "2"], "/twilio/dial": ["1", "0"]}


def prime(client: WebhookClient, call_sid: str | None, path: str) -> str:
    """Start the call and take it to the step ``path`` answers; the query it waits on."""
    current = "node=language&seq=1"
    if not present(call_sid):
        return current
    spooled = client.spooled()
    resp = client.signed(Request("POST", "/twilio/voice", "", call_params(call_sid)))
    for keys in TO_STEP.get(path, []):
        params = call_params(call_sid, Digits=keys)
        resp = client.signed(Request("POST", "/twilio/gather", current, params))
        assert resp.status_code == 200
        current = action_query(resp.text)
    assert resp.status_code == 200
    assert client.spooled() == spooled, "the degraded path ran"
    return action_query(resp.text)


def action_query(twiml: str) -> str:
    """The query of the action URL in an answer: the step the call waits on."""
    root = assert_valid_twiml(twiml)
    actions = [verb.get("action", "") for verb in root if verb.tag in ("Gather", "Record", "Dial")]
    return urlsplit(actions[0]).query


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path.removeprefix("/twilio/"))
@settings(FUZZ, max_examples=examples(80))
@given(primed=st.booleans(), data=st.data())
def test_signed_webhooks_never_fail(
    webhook_client: WebhookClient, endpoint: Endpoint, primed: bool, data: st.DataObject
) -> None:
    hook = data.draw(webhooks(endpoints=(endpoint,)), label="hook")
    unique = unique_hex()
    req = hook.build(unique=unique)
    if primed:
        call_sid = webhook_client.seen(req).get("CallSid")
        req = hook.build(prime(webhook_client, call_sid, endpoint.path), unique)
    spooled = webhook_client.spooled()
    expected = expected_status(webhook_client, hook, req, None)
    resp = webhook_client.signed(req)
    check_answer(webhook_client, hook, resp, expected)
    grew = 1 if hook.endpoint.answer == "fallback" and resp.status_code == 200 else 0
    assert webhook_client.spooled() == spooled + grew, "the degraded path ran"


# Bytes that are not UTF-8, raw or percent-encoded, in names and values.
BAD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3", b"\xe9", b"\xed\xa0\x80", b"\x80abc", b"\xf0\x9f"]
bad_bytes = st.sampled_from(BAD_BYTES)


@st.composite
def raw_bodies(draw: st.DrawFn, req: Request) -> bytes:
    """A form body from the request's parameters with non-UTF-8 bytes spliced into it."""
    pairs = [(k.encode(), v.encode()) for k, v in req.params.items()]
    for _ in range(draw(st.integers(1, 3))):
        junk = draw(bad_bytes)
        if draw(st.booleans()):
            junk = b"".join(b"%%%02X" % byte for byte in junk)
        where = draw(st.sampled_from(["value", "name", "pair"]))
        if where == "pair" or not pairs:
            pairs.append((draw(st.sampled_from([b"Digits", b"CallSid", junk])), junk))
        else:
            i = draw(st.integers(0, len(pairs) - 1))
            name, value = pairs[i]
            pairs[i] = (name + junk, value) if where == "name" else (name, value + junk)
    return b"&".join(name + b"=" + value for name, value in pairs)


@FUZZ
@given(
    hook=webhooks(endpoints=tuple(e for e in ENDPOINTS if "POST" in e.methods)).map(
        lambda h: replace(h, method="POST")
    ),
    data=st.data(),
)
def test_non_utf8_bodies_never_fail(
    webhook_client: WebhookClient, hook: Webhook, data: st.DataObject
) -> None:
    req = hook.build()
    body = data.draw(raw_bodies(req), label="body")
    spooled = webhook_client.spooled()
    expected = expected_status(webhook_client, hook, req, body)
    resp = webhook_client.signed(req, body=body)
    check_answer(webhook_client, hook, resp, expected)
    grew = 1 if hook.endpoint.answer == "fallback" and resp.status_code == 200 else 0
    assert webhook_client.spooled() == spooled + grew, "the degraded path ran"
    # Signed over a naive decoding instead of Flask's: refused unless both agree.
    naive = {
        k.decode("latin-1"): v.decode("latin-1")
        for k, _, v in (pair.partition(b"=") for pair in body.split(b"&"))
    }
    signature = webhook_client.validator.compute_signature(webhook_client.url(req.target), naive)
    if signature != webhook_client.signature(req, body):
        assert webhook_client.send(req, signature, body=body).status_code == 403


# --- forged requests -------------------------------------------------------------------

FORGERIES = ["absent", "empty", "garbage", "wrong_token", "flipped", "other_params"]
FORGERIES += ["other_url", "url_only", "lowercase"]


def forge(client: WebhookClient, req: Request, how: str, junk: str) -> str | None:
    """A signature Twilio did not make for this request."""
    url = client.url(req.target)
    params = client.seen(req) if req.method == "POST" else {}
    good = client.signature(req)
    forged: str | None
    if how == "absent":
        forged = None
    elif how == "empty":
        forged = ""
    elif how == "garbage":
        forged = junk
    elif how == "wrong_token":
        forged = type(client.validator)(junk + "x").compute_signature(url, params)
    elif how == "flipped":
        i = len(junk) % len(good)
        forged = good[:i] + ("A" if good[i] != "A" else "B") + good[i + 1 :]
    elif how == "other_params":
        forged = client.validator.compute_signature(url, {**params, "Digits": junk + "1"})
    elif how == "other_url":
        forged = client.validator.compute_signature(url + "&x=" + junk + "1", params)
    elif how == "url_only":
        forged = client.validator.compute_signature(url, {}) if params else junk
    else:
        forged = good.lower() if good.lower() != good else good.upper()
    assert forged != good
    return forged


@settings(FUZZ, max_examples=examples(200))
@given(
    hook=webhooks(),
    how=st.sampled_from(FORGERIES),
    junk=st.text(st.characters(codec="ascii", min_codepoint=32), min_size=1, max_size=40),
)
def test_forged_webhooks_are_refused_and_write_nothing(
    webhook_client: WebhookClient, hook: Webhook, how: str, junk: str
) -> None:
    req = hook.build()
    before = webhook_client.row_counts()
    spooled = webhook_client.spooled()
    resp = webhook_client.send(req, forge(webhook_client, req, how, junk))
    assert resp.status_code == (405 if req.method not in hook.endpoint.methods else 403)
    assert webhook_client.row_counts() == before
    assert webhook_client.spooled() == spooled


# --- the call status callback, field by field --------------------------------------------

maybe = mostly(numberish, st.none())


@settings(FUZZ, max_examples=examples(100))
@given(
    status=known_or_odd(CALL_STATUSES),
    timestamp=mostly(timestamps, st.none()),
    duration=maybe,
    sequence=maybe,
    started=st.booleans(),
)
def test_status_callbacks_never_fail(
    webhook_client: WebhookClient,
    status: str,
    timestamp: str | None,
    duration: str | None,
    sequence: str | None,
    started: bool,
) -> None:
    """Dates of any year and offset, durations and sequence numbers of any size."""
    params = call_params()
    if started:
        prime(webhook_client, params["CallSid"], "/twilio/voice")
    fields = {"Timestamp": timestamp, "CallDuration": duration, "SequenceNumber": sequence}
    params |= {"CallStatus": status, **{k: v for k, v in fields.items() if v is not None}}
    spooled = webhook_client.spooled()
    resp = webhook_client.signed(Request("POST", "/twilio/status", "", params))
    assert resp.status_code == 204, resp.text
    assert webhook_client.spooled() == spooled, "the degraded path ran"
