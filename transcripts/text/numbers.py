"""Spoken numbers to digits: "six one three", "forty two", "double five", "oh" in a number.

A run of number words becomes one string of digits, group after group: "four two" and
"forty two" are both "42", "six thirteen five five five" is "613555", "one eight hundred"
is "1800", "two thousand and five" is "2005". "oh" and "o" count as zero only between two
numbers, so "oh no" is left alone.
"""

from __future__ import annotations

from transcripts.text.tokens import Token

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_ZERO_LETTERS = frozenset({"oh", "o"})
_REPEAT = {"double": 2, "triple": 3}
_SCALES = frozenset({"hundred", "thousand"})


def is_number_word(word: str) -> bool:
    """A word that is a number on its own: "two", "twelve", "forty" (not "oh")."""
    return word in UNITS or word in TEENS or word in TENS


def convert_numbers(tokens: list[Token]) -> list[Token]:
    """Replace each run of spoken number words by its digits.

    Written digits next to number words join the run; runs of single written digits
    ("6 1 3 5 5 5") are closed up too. Other written numbers are left as they are.
    """
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        end = _run_end(tokens, i)
        run = tokens[i:end]
        if end > i and _worth_joining(run):
            out.append(Token(_digits([t.low for t in run]), run[-1].pause))
            i = end
        else:
            out.append(tokens[i])
            i += 1
    return out


def is_digits(word: str) -> bool:
    """ASCII digits only ("42"; not "4.2", not "²")."""
    return word.isascii() and word.isdigit()


def _is_num(word: str) -> bool:
    return is_number_word(word) or is_digits(word)


def _run_end(tokens: list[Token], start: int) -> int:
    """End of the run of number tokens starting at ``start`` (``start`` when none)."""
    i = start
    while i < len(tokens) and _takes(tokens, i, start):
        i += 1
        if tokens[i - 1].pause:
            break
    return i


def _takes(tokens: list[Token], i: int, start: int) -> bool:
    word = tokens[i].low
    nxt = "" if tokens[i].pause or i + 1 == len(tokens) else tokens[i + 1].low
    if _is_num(word):
        return True
    if word in _ZERO_LETTERS:
        return i > start and (_is_num(nxt) or tokens[i - 1].low in _REPEAT)
    if word in _REPEAT:  # "double oh" is 00, "double o" is spelling ("g double o g")
        return nxt in UNITS or nxt == "oh"
    if word == "hundred":
        return i > start and tokens[i - 1].low in UNITS
    if word == "thousand":
        return i > start and is_number_word(tokens[i - 1].low)
    if word == "and":
        return i > start and tokens[i - 1].low in _SCALES and is_number_word(nxt)
    return False


def _worth_joining(run: list[Token]) -> bool:
    """Spoken numbers always; written ones only as single digits ("6 1 3"), three or more."""
    if any(not is_digits(token.text) for token in run):
        return True
    return len(run) >= 3 and all(len(token.text) == 1 for token in run)


def _digits(words: list[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if is_digits(word):
            out.append(word)
        elif word in _ZERO_LETTERS:
            out.append("0")
        elif word in _REPEAT:
            i += 1
            out.append(str(UNITS.get(words[i], 0)) * _REPEAT[word])
        else:
            value, i = _number(words, i)
            out.append(str(value))
        i += 1
    return "".join(out)


def _number(words: list[str], i: int) -> tuple[int, int]:
    """The number said from ``i`` and the index of its last word; with "thousand"."""
    value, i = _below_thousand(words, i)
    if i + 1 < len(words) and words[i + 1] == "thousand":
        value *= 1000
        i += 1
        nxt = i + 2 if i + 1 < len(words) and words[i + 1] == "and" else i + 1
        if nxt < len(words) and is_number_word(words[nxt]):
            rest, i = _below_thousand(words, nxt)
            value += rest
    return value, i


def _below_thousand(words: list[str], i: int) -> tuple[int, int]:
    word = words[i]
    if word in TEENS:
        return TEENS[word], i
    if word in TENS:
        return _tens(words, i)
    if i + 1 < len(words) and words[i + 1] == "hundred":
        return _hundreds(words, i)
    return UNITS[word], i


def _tens(words: list[str], i: int) -> tuple[int, int]:
    """ "forty" or "forty two" at ``i``: the value and the index of its last word."""
    value = TENS[words[i]]
    if i + 1 < len(words) and UNITS.get(words[i + 1], 0) > 0:
        return value + UNITS[words[i + 1]], i + 1
    return value, i


def _hundreds(words: list[str], i: int) -> tuple[int, int]:
    """ "eight hundred", "one hundred twenty", "one hundred and five".

    A bare unit after "hundred" stays a digit of its own: "one eight hundred five five
    five" is a phone number, 1 800 555.
    """
    value = UNITS[words[i]] * 100
    i += 1  # at "hundred"
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if nxt == "and":
        i += 1
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in UNITS:
            return value + UNITS[nxt], i + 1
    if nxt in TEENS:
        return value + TEENS[nxt], i + 1
    if nxt in TENS:
        rest, end = _tens(words, i + 1)
        return value + rest, end
    return value, i
