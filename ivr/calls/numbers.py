"""Phone numbers: normalisation to E.164 and the caller's province."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import geocoder

# Values Twilio sends in ``From`` when caller ID is withheld.
_WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "+266696687", "+7378742833"}

# phonenumbers' English geocoder names for Canadian numbers -> province/territory codes.
# Some area codes span several provinces: the code then names all of them.
PROVINCES = {
    "Alberta": "AB",
    "British Columbia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Nova Scotia": "NS",
    "Nova Scotia/Prince Edward Island": "NS/PE",
    "Northwest Territories/Nunavut/Yukon": "NT/NU/YT",
    "Ontario": "ON",
    "Prince Edward Island": "PE",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Yukon": "YT",
}


@dataclass(frozen=True)
class CallerNumber:
    """A caller's number as far as it can be known."""

    e164: str | None
    country: str | None
    region: str | None

    @property
    def withheld(self) -> bool:
        """True when the caller's number is unknown."""
        return self.e164 is None


def _parse(raw: str | None) -> phonenumbers.PhoneNumber | None:
    value = (raw or "").strip()
    if value.lower() in _WITHHELD or value.startswith("client:"):
        return None
    try:
        number = phonenumbers.parse(value, "CA")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def caller_e164(raw: str | None) -> str | None:
    """The caller's number in E.164 (None when withheld or unparsable), without the
    country and province lookups of :func:`parse_caller`, which cost several times more
    and only matter when a call is filed."""
    number = _parse(raw)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_caller(raw: str | None) -> CallerNumber:
    """Normalise Twilio's ``From`` value; withheld or unparsable numbers give no number."""
    number = _parse(raw)
    if number is None:
        return CallerNumber(None, None, None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    country = phonenumbers.region_code_for_number(number)
    region = None
    if country == "CA":
        region = PROVINCES.get(geocoder.description_for_number(number, "en"))
    return CallerNumber(e164, country, region)
