"""Entities in a transcript: web addresses, domains, e-mails, phone numbers, handles, platforms.

Works on written text (Twilio's transcription: "see www.example.com/abc, call
613-555-0142") and on spoken text as an offline engine writes it ("w w w dot example
dot com slash abc", "six one three five five five zero one four two"): spoken forms are
rewritten first (``transcripts.text.spoken``), then written-form matchers run on the
result. Each list is deduplicated and in order of appearance; the output is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from transcripts.text.handles import EXPLICIT_RE, spoken_handles
from transcripts.text.platforms import find_platforms, platform_of_host
from transcripts.text.spoken import normalize
from transcripts.text.tokens import render, tokenize
from transcripts.text.web import EMAIL_RE, URL_RE, clean_url

DEFAULT_REGION = "CA"


@dataclass(frozen=True, slots=True)
class Entities:
    """What a transcript names. Each tuple is deduplicated, in order of appearance.

    ``urls`` are web addresses as said (host in lower case, path as said, no scheme
    added): ``www.example.com/abc``, ``example.com``. ``domains`` are their hosts without
    ``www.``. ``emails`` are lower case; ``phone_numbers`` E.164; ``handles`` lower case
    without "@"; ``platforms`` are ids from ``transcripts.text.platforms.PLATFORMS``.
    """

    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        """Lists for the report JSON, keys in the order of its ``entities`` object."""
        return {
            "urls": list(self.urls),
            "domains": list(self.domains),
            "emails": list(self.emails),
            "phone_numbers": list(self.phone_numbers),
            "handles": list(self.handles),
            "platforms": list(self.platforms),
        }


def extract_entities(text: str, region: str = DEFAULT_REGION) -> Entities:
    """Find the entities in ``text``; ``region`` is where unprefixed phone numbers are."""
    tokens = normalize(tokenize(text))
    flat, starts = render(tokens)
    urls: list[tuple[int, str]] = []
    domains: list[tuple[int, str]] = []
    platforms: list[tuple[int, str]] = [(starts[i], p) for i, p in find_platforms(tokens)]
    taken: list[tuple[int, int]] = []  # spans of e-mails and URLs: no phone numbers inside
    emails = [(m.start(), m.group(0).lower()) for m in EMAIL_RE.finditer(flat)]
    taken += [(m.start(), m.end()) for m in EMAIL_RE.finditer(flat)]
    for match in URL_RE.finditer(flat):
        url, domain, end = clean_url(match)
        urls.append((match.start(), url))
        domains.append((match.start(), domain))
        taken.append((match.start(), end))
        platform = platform_of_host(domain)
        if platform:
            platforms.append((match.start(), platform))
    handles = [(m.start(), m.group(1).lower()) for m in EXPLICIT_RE.finditer(flat)]
    handles += [(starts[i], handle) for i, handle in spoken_handles(tokens)]
    phones = [
        (m.start, phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
        for m in phonenumbers.PhoneNumberMatcher(flat, region)
        if not any(start < m.end and m.start < end for start, end in taken)
    ]
    return Entities(
        urls=_ordered(urls),
        domains=_ordered(domains),
        emails=_ordered(emails),
        phone_numbers=_ordered(phones),
        handles=_ordered(handles),
        platforms=_ordered(platforms),
    )


def details_present(entities: Entities) -> bool:
    """True when the caller gave something to act on: a URL, e-mail, phone or handle."""
    return bool(entities.urls or entities.emails or entities.phone_numbers or entities.handles)


def _ordered(found: Iterable[tuple[int, str]]) -> tuple[str, ...]:
    """Values sorted by position, first occurrence kept."""
    return tuple(dict.fromkeys(value for _, value in sorted(found, key=lambda f: f[0])))
