"""User handles: "@darkwolf42", and the spoken "his username is dark wolf forty two".

After a trigger ("username", "user name", "his name is", "called", "goes by"...) up to
four words are taken until a function word, a platform, an address or a pause; they are
closed up in lower case: "dark wolf 42" -> "darkwolf42". A capture without a letter
("called 911") or that is a common word for a time ("called yesterday") is dropped.
"""

from __future__ import annotations

import re

from transcripts.text.platforms import find_platforms
from transcripts.text.tokens import Token
from transcripts.text.vocab import FUNCTION_WORDS, word_set
from transcripts.text.web import is_host

EXPLICIT_RE = re.compile(r"(?<![\w@.])@([a-z0-9_](?:[a-z0-9_.]{0,38}[a-z0-9_])?)", re.IGNORECASE)

_TRIGGERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "username", "usernames", "user name", "user names", "user id", "handle", "gamertag",
        "gamer tag", "screen name", "screenname", "display name", "nickname", "nick name",
        "account name", "profile name", "his name", "their name", "the guy's name",
        "the man's name", "called", "named", "goes by", "calls himself", "calls herself",
        "calls themselves", "at sign", "at symbol",
    )
)  # fmt: skip
# Said between a trigger and the handle: "his name is, um, like, dark wolf".
_COPULAS = word_set("is was it's its as like being of um uh ah er hmm")
_NOT_HANDLES = FUNCTION_WORDS | word_set(
    """
    yesterday today tonight tomorrow last next week weeks month months year years ago
    before after always never sometimes every once twice later soon
    police cops said says say told tells asked asks sent sends keeps kept wants wanted
    names out up off down around away home
    """
)
_JOINERS = {"dot": ".", "dash": "-", "hyphen": "-"}
_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_MAX_WORDS = 4
_MAX_LENGTH = 40


def spoken_handles(tokens: list[Token]) -> list[tuple[int, str]]:
    """``(token index, handle)`` for each handle introduced by a trigger phrase."""
    platform_at = {i for i, _ in find_platforms(tokens)}
    found: list[tuple[int, str]] = []
    for i in range(len(tokens)):
        size = _trigger(tokens, i)
        if not size:
            continue
        start = i + size
        while start < len(tokens) and tokens[start].low in _COPULAS:
            start += 1
        handle = _capture(tokens, start, platform_at)
        if handle:
            found.append((start, handle))
    return found


def _trigger(tokens: list[Token], i: int) -> int:
    for phrase in _TRIGGERS:
        end = i + len(phrase)
        if end <= len(tokens) and all(
            tokens[i + k].low == word and not (k and tokens[i + k - 1].pause)
            for k, word in enumerate(phrase)
        ):
            return len(phrase)
    return 0


def _capture(tokens: list[Token], start: int, platform_at: set[int]) -> str | None:
    pieces: list[str] = []
    words = 0
    j = start
    while j < len(tokens) and words < _MAX_WORDS and j not in platform_at:
        word = tokens[j].low
        if word in _JOINERS and pieces and j + 1 < len(tokens) and not tokens[j].pause:
            pieces.append(_JOINERS[word])
        elif _WORD.fullmatch(word) and word not in _NOT_HANDLES and not is_host(word):
            pieces.append(word)
            words += 1
        else:
            break
        if tokens[j].pause:
            break
        j += 1
    while pieces and pieces[-1] in _JOINERS.values():
        pieces.pop()
    handle = "".join(pieces).strip(".-")
    if not re.search(r"[a-z]", handle) or not 2 <= len(handle) <= _MAX_LENGTH:
        return None
    return handle
