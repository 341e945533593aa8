"""Encryption at rest, keyed hashes and caller number normalisation."""

from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken

from ivr.calls.numbers import parse_caller
from ivr.crypto import DataCipher, generate_key


def test_encrypt_round_trip_and_ciphertext_hides_the_number() -> None:
    cipher = DataCipher(generate_key())
    token = cipher.encrypt_text("+16135550142")
    assert b"6135550142" not in token
    assert cipher.decrypt_text(token) == "+16135550142"


def test_rotation_keeps_old_data_readable_and_hashes_stable() -> None:
    old = generate_key()
    before = DataCipher(old)
    after = DataCipher(f"{generate_key()},{old}")
    token = before.encrypt_text("+16135550142")
    assert after.decrypt_text(token) == "+16135550142"
    assert after.keyed_hash("+16135550142") == before.keyed_hash("+16135550142")
    with pytest.raises(InvalidToken):
        DataCipher(generate_key()).decrypt_text(token)


def test_keyed_hash_depends_on_the_key() -> None:
    a, b = DataCipher(generate_key()), DataCipher(generate_key())
    assert a.keyed_hash("+16135550142") == a.keyed_hash("+16135550142")
    assert a.keyed_hash("+16135550142") != b.keyed_hash("+16135550142")
    assert "6135550142" not in a.keyed_hash("+16135550142")


def test_malformed_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Fernet keys"):
        DataCipher("not-a-key")


@pytest.mark.parametrize(
    ("raw", "e164", "country", "region"),
    [
        ("+16135550142", "+16135550142", "CA", "ON"),
        ("+15145550000", "+15145550000", "CA", "QC"),
        ("+12045551234", "+12045551234", "CA", "MB"),
        ("+19025550000", "+19025550000", "CA", "NS/PE"),
        ("+12125550000", "+12125550000", "US", None),
        ("+442079460000", "+442079460000", "GB", None),
        ("anonymous", None, None, None),
        ("", None, None, None),
        ("+266696687", None, None, None),
        ("client:alice", None, None, None),
        ("not a number", None, None, None),
        ("+1", None, None, None),
    ],
)
def test_parse_caller(raw: str, e164: str | None, country: str | None, region: str | None) -> None:
    caller = parse_caller(raw)
    assert (caller.e164, caller.country, caller.region) == (e164, country, region)
    assert caller.withheld is (e164 is None)
