"""Every /twilio/ endpoint refuses what Twilio did not sign."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from tests.conftest import PUBLIC_BASE_URL, TwilioClient, app_config, call_params, running_app

ENDPOINTS = [
    "/twilio/voice",
    "/twilio/gather?node=language&seq=1",
    "/twilio/record?node=message&seq=5",
    "/twilio/dial?node=transfer&seq=3",
    "/twilio/recording-status",
    "/twilio/transcription",
    "/twilio/status",
    "/twilio/fallback",
    "/twilio/fallback/recorded",
]


def test_signature_vector_from_the_twilio_notes() -> None:
    validator = RequestValidator("12345")
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert validator.compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert validator.validate(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_every_twilio_route_is_covered(app: Flask) -> None:
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/twilio/")}
    assert routes == {e.split("?")[0] for e in ENDPOINTS}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unsigned_request_is_refused(twilio: TwilioClient, path: str) -> None:
    assert twilio.post(path, call_params(), sign=False).status_code == 403


@pytest.mark.parametrize("path", ENDPOINTS)
def test_forged_signature_is_refused(twilio: TwilioClient, path: str) -> None:
    forged = RequestValidator("not-the-token").compute_signature(PUBLIC_BASE_URL + path, {})
    resp = twilio.client.post(path, data=call_params(), headers={"X-Twilio-Signature": forged})
    assert resp.status_code == 403


@pytest.mark.parametrize("path", ENDPOINTS)
def test_tampered_parameters_are_refused(twilio: TwilioClient, path: str) -> None:
    params = call_params()
    signature = twilio.validator.compute_signature(PUBLIC_BASE_URL + path, params)
    params["Digits"] = "1"
    resp = twilio.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 403


def test_tampered_query_string_is_refused(twilio: TwilioClient) -> None:
    params = call_params()
    signature = twilio.validator.compute_signature(
        PUBLIC_BASE_URL + "/twilio/gather?node=language&seq=1", params
    )
    resp = twilio.client.post(
        "/twilio/gather?node=danger&seq=1", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert resp.status_code == 403


def test_signed_for_the_public_url_is_accepted_behind_another_host(twilio: TwilioClient) -> None:
    # The test client talks to http://localhost/ while Twilio signed https://hotline.example.org
    resp = twilio.post("/twilio/voice", call_params())
    assert resp.status_code == 200
    assert resp.mimetype == "text/xml"


def test_signed_for_the_exact_url_skips_the_port_variants(
    twilio: TwilioClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_check(*args: object, **kwargs: object) -> bool:
        raise AssertionError("validate() ran for a request signed for the exact URL")

    monkeypatch.setattr(RequestValidator, "validate", no_second_check)
    assert twilio.post("/twilio/gather?node=language&seq=1", call_params()).status_code == 200


@pytest.mark.parametrize(
    ("configured", "signed"),
    [
        ("https://hotline.example.org/", "https://hotline.example.org:443"),
        ("https://hotline.example.org:443", "https://hotline.example.org"),
    ],
)
def test_signed_for_the_url_with_or_without_its_port_is_accepted(
    database_url: str, tmp_path: Path, configured: str, signed: str
) -> None:
    with running_app(app_config(database_url, tmp_path, PUBLIC_BASE_URL=configured)) as app:
        params = call_params()
        validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
        signature = validator.compute_signature(signed + "/twilio/voice", params)
        resp = app.test_client().post(
            "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert resp.status_code == 200


def test_a_signature_with_non_ascii_characters_is_refused(twilio: TwilioClient) -> None:
    resp = twilio.client.post(
        "/twilio/voice", data=call_params(), headers={"X-Twilio-Signature": "sïgnature="}
    )
    assert resp.status_code == 403


def test_forwarded_headers_do_not_change_the_signed_url(twilio: TwilioClient) -> None:
    params = call_params()
    signature = twilio.validator.compute_signature("https://evil.example/twilio/voice", params)
    resp = twilio.client.post(
        "/twilio/voice",
        data=params,
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        },
    )
    assert resp.status_code == 403
