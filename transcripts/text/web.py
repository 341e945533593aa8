"""Web addresses and e-mail addresses in written text, and the top-level domains we trust.

A bare ``word.word`` is only an address when it ends in a known top-level domain: that is
what keeps ``file.txt``, ``e.g.`` and ``St.John`` out of the results.
"""

from __future__ import annotations

import re

from transcripts.text.vocab import word_set

# Generic and country TLDs that callers actually name, and .onion (Tor hidden services).
TLDS: frozenset[str] = word_set(
    """
    com net org edu gov info biz name pro mobi tel int mil
    app dev io ai co me tv gg ly cc ws to fm am su xyz online site website live store shop
    club top vip link click fun space tech world today news blog chat social life cloud
    email lol sex porn adult xxx onion
    ca us uk au nz ie de fr be nl lu ch at es pt it se no dk fi is pl cz sk hu ro bg gr
    ru ua by kz cn jp kr tw hk sg my ph th vn id in pk br ar mx cl co ve za ng ke eu
    """
)

_TLD = "(?:" + "|".join(sorted(TLDS, key=len, reverse=True)) + ")"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)+{_TLD}(?![a-z0-9@-])"

URL_RE = re.compile(
    rf"(?<![\w@.-])(?P<scheme>https?://)?(?P<host>{_HOST})(?::\d{{1,5}})?(?P<path>/\S*)?",
    re.IGNORECASE,
)
EMAIL_RE = re.compile(
    rf"(?<![\w.%+-])[a-z0-9](?:[a-z0-9._%+-]{{0,62}}[a-z0-9_])?@{_HOST}", re.IGNORECASE
)
HOST_RE = re.compile(rf"{_HOST}", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"\u00bb\u201d\u2019"


def clean_url(match: re.Match[str]) -> tuple[str, str, int]:
    """``(url, domain, end)`` of a ``URL_RE`` match: host in lower case, path as written.

    Sentence punctuation glued to the end is dropped; ``domain`` is the host without
    ``www.``; ``end`` is where the kept text ends in the searched string.
    """
    scheme = (match.group("scheme") or "").lower()
    host = match.group("host").lower()
    rest = match.group(0)[match.end("host") - match.start() :]
    kept = rest.rstrip(_TRAILING)
    url = scheme + host + kept
    domain = host.removeprefix("www.")
    return url, domain, match.start() + len(match.group(0)) - (len(rest) - len(kept))


def is_host(text: str) -> bool:
    """True for ``example.com``, ``www.example.co.uk``; false for ``file.txt``."""
    return HOST_RE.fullmatch(text) is not None
