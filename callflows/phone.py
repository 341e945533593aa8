"""Callback numbers: validation with phonenumbers and reading them back."""

from __future__ import annotations

import phonenumbers

from callflows.prompts import spell_digits


def parse_number(text: str | None, region: str) -> str | None:
    """The E.164 form of a valid phone number (keyed digits or caller ID), else None."""
    if not text or len(text) > 20:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def spoken_number(e164: str) -> str:
    """How a number is read back: "6, 1, 3, ..." (ten digits in North America)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return spell_digits("".join(c for c in e164 if c.isdigit()))
    if number.country_code == 1:
        return spell_digits(str(phonenumbers.national_significant_number(number)))
    return spell_digits(e164.lstrip("+"))
