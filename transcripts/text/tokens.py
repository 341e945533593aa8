"""Words of a transcript, with the clause breaks that punctuation marks in written text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Quotes (straight and curly), brackets, and sentence punctuation, dashes, ellipsis.
_LEADING = "\"'([{<\u00ab\u201c\u2018"
_TRAILING = "\"')]}>\u00bb\u201d\u2019,;:!?.\u2026\u2014\u2013"
_BREAKS = frozenset(",;:!?.\u2026\u2014\u2013")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Token:
    """One word: ``text`` as written (or as joined from spoken parts).

    ``pause`` is true when punctuation after it ends a clause: spoken forms are never
    joined across it, and a captured handle stops there.
    """

    text: str
    pause: bool = False

    @property
    def low(self) -> str:
        """The text in lower case, for comparisons."""
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    """Split on white space; strip quotes and sentence punctuation from each word's edges."""
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        lead = len(raw) - len(raw.lstrip(_LEADING))
        word = raw[lead:].rstrip(_TRAILING)
        pause = any(char in _BREAKS for char in raw[lead + len(word) :])
        if word:
            tokens.append(Token(word, pause))
        elif pause and tokens:
            tokens[-1] = Token(tokens[-1].text, True)
    return tokens


def words(tokens: Iterable[Token]) -> list[str]:
    """The lower-case texts."""
    return [token.low for token in tokens]


def render(tokens: list[Token]) -> tuple[str, list[int]]:
    """The tokens as one string (a comma marks a pause) and each token's start offset."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for token in tokens:
        starts.append(pos)
        piece = token.text + ("," if token.pause else "")
        parts.append(piece)
        pos += len(piece) + 1
    return " ".join(parts), starts
