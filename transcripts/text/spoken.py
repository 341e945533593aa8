"""Spoken forms of addresses to written ones, before the written-text matchers run.

An offline engine writes what it hears: "w w w dot example dot com slash abc",
"dark wolf four two at example dot org". These rules rewrite such runs of tokens into
"www.example.com/abc" and "darkwolf42@example.org", and leave prose alone:

- "dot" joins only a chain that ends in a known top-level domain and does not start with
  a function word ("the dot on the map" stays as it is);
- "at" becomes "@" only before such a domain, after a local part, and in an e-mail
  context: a mail service, e-mail words nearby, "at sign", or a local part that looks
  like one (digits, "_" or "."); "I was at home" stays as it is;
- spelled letters are closed up ("w w w" -> "www"), "underscore" and "slash" join.
"""

from __future__ import annotations

import re

from transcripts.text.numbers import convert_numbers, is_digits
from transcripts.text.tokens import Token
from transcripts.text.vocab import EMAIL_CONTEXT, FUNCTION_WORDS, MAIL_DOMAINS
from transcripts.text.web import TLDS, is_host

_LETTER = re.compile(r"[a-z]")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_SEGMENT = re.compile(r"[a-z0-9_~%+=-]+", re.IGNORECASE)
_AT = (("at", "sign"), ("at", "symbol"), ("@",), ("at",))
_EXPLICIT_AT = frozenset({"at sign", "at symbol", "@"})
_SLASH = (("forward", "slash"), ("slash",))
_DASH = frozenset({"dash", "hyphen"})
_LOCAL_JOINERS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
_PATH_JOINERS = {"dot": ".", "dash": "-", "hyphen": "-"}
_MAX_LOCAL_WORDS = 4
_CONTEXT_WINDOW = 8


def normalize(tokens: list[Token]) -> list[Token]:
    """All the spoken-form rules, in order: numbers, letters, joins, hosts, e-mails, URLs."""
    for rule in (
        convert_numbers,
        close_letters,
        join_underscores,
        join_hosts,
        join_emails,
        join_urls,
    ):
        tokens = rule(tokens)
    return tokens


def _at(tokens: list[Token], i: int, *phrases: tuple[str, ...]) -> int:
    """Length of the first of ``phrases`` said at ``i`` (no pause inside), else 0."""
    for phrase in phrases:
        end = i + len(phrase)
        if end <= len(tokens) and all(
            tokens[i + k].low == word and not (k and tokens[i + k - 1].pause)
            for k, word in enumerate(phrase)
        ):
            return len(phrase)
    return 0


def close_letters(tokens: list[Token]) -> list[Token]:
    """Spelled letters closed up: "w w w" -> "www", "double u" -> "w", "d w 42" -> "dw42"."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        letters: list[str] = []
        j = i
        while j < len(tokens):
            size, letter = _letter(tokens, j)
            if not size:
                break
            letters.append(letter)
            j += size
            if tokens[j - 1].pause:
                break
        if len(letters) >= 2 and set(letters) - {"a", "i"}:
            text = "".join(letters)
            if j < len(tokens) and is_digits(tokens[j].text) and not tokens[j - 1].pause:
                text += tokens[j].text
                j += 1
            out.append(Token(text, tokens[j - 1].pause))
            i = j
        else:
            out.append(tokens[i])
            i += 1
    return out


def _letter(tokens: list[Token], i: int) -> tuple[int, str]:
    word = tokens[i].low
    if len(word) == 1 and _LETTER.fullmatch(word):
        return 1, word
    if word == "double" and not tokens[i].pause and i + 1 < len(tokens):
        nxt = tokens[i + 1].low
        if nxt in ("u", "you"):
            return 2, "w"
        if len(nxt) == 1 and _LETTER.fullmatch(nxt):
            return 2, nxt * 2
    return 0, ""


def join_underscores(tokens: list[Token]) -> list[Token]:
    """ "dark underscore wolf" -> "dark_wolf" ("underscore" is never prose)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        size = _at(tokens, i, ("underscore",), ("under", "score"))
        prev = out[-1] if out else None
        if size and prev and not prev.pause and i + size < len(tokens):
            nxt = tokens[i + size]
            out[-1] = Token(prev.text + "_" + nxt.text, nxt.pause)
            i += size + 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def join_hosts(tokens: list[Token]) -> list[Token]:
    """ "example dot com" -> "example.com"; "my dash site dot co dot uk" -> "my-site.co.uk"."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        labels, end = _host_chain(tokens, i)
        if labels:
            out.append(Token(".".join(labels), tokens[end - 1].pause))
            i = end
        else:
            out.append(tokens[i])
            i += 1
    return out


def _host_chain(tokens: list[Token], i: int) -> tuple[list[str], int]:
    """The labels of a spoken host starting at ``i`` and where it ends; ``[]`` if none."""
    first = _label(tokens, i)
    if first is None or tokens[i].low in FUNCTION_WORDS:
        return [], i
    labels, ends = [first[0]], [first[1]]
    j = first[1]
    while j < len(tokens) and tokens[j].low == "dot" and not tokens[j - 1].pause:
        nxt = _label(tokens, j + 1) if not tokens[j].pause else None
        if nxt is None:
            break
        labels.append(nxt[0])
        ends.append(nxt[1])
        j = nxt[1]
    # Keep the longest prefix that ends in a top-level domain: "example dot com dot and".
    while len(labels) > 1 and labels[-1] not in TLDS:
        labels.pop()
        ends.pop()
    if len(labels) < 2:
        return [], i
    return labels, ends[-1]


def _label(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """A host label at ``i`` ("my dash site" -> "my-site") and the index after it."""
    if i >= len(tokens) or not _LABEL.fullmatch(tokens[i].low):
        return None
    text, j = tokens[i].low, i + 1
    while (
        j + 1 < len(tokens)
        and tokens[j].low in _DASH
        and not tokens[j - 1].pause
        and not tokens[j].pause
        and _LABEL.fullmatch(tokens[j + 1].low)
    ):
        text += "-" + tokens[j + 1].low
        j += 2
    return text, j


def join_emails(tokens: list[Token]) -> list[Token]:
    """ "dark wolf 42 at example.org" -> "darkwolf42@example.org", in an e-mail context."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        size = _at(tokens, i, *_AT)
        host = tokens[i + size] if size and i + size < len(tokens) else None
        if host is not None and is_host(host.low) and not tokens[i + size - 1].pause:
            said = " ".join(t.low for t in tokens[i : i + size])
            local, taken = _local_part(out)
            if local and _email_context(out[: len(out) - taken], local, host.low, said):
                del out[len(out) - taken :]
                out.append(Token(f"{local}@{host.low}", host.pause))
                i += size + 1
                continue
        out.append(tokens[i])
        i += 1
    return out


def _local_part(before: list[Token]) -> tuple[str, int]:
    """The e-mail local part said just before "at", and how many tokens it took."""
    pieces: list[str] = []
    words = 0
    j = len(before) - 1
    while j >= 0 and not before[j].pause and words < _MAX_LOCAL_WORDS:
        word = before[j].low
        if word in _LOCAL_JOINERS and pieces and j > 0 and not before[j - 1].pause:
            pieces.append(_LOCAL_JOINERS[word])
        elif word not in FUNCTION_WORDS and word not in EMAIL_CONTEXT and _plain(word):
            pieces.append(word)
            words += 1
        else:
            break
        j -= 1
    while pieces and pieces[-1] in _LOCAL_JOINERS.values():
        pieces.pop()
        j += 1
    return "".join(reversed(pieces)), len(before) - 1 - j


def _plain(word: str) -> bool:
    return re.fullmatch(r"[a-z0-9][a-z0-9._%+-]*", word) is not None and not is_host(word)


def _email_context(before: list[Token], local: str, host: str, said: str) -> bool:
    if said in _EXPLICIT_AT or host in MAIL_DOMAINS or re.search(r"[0-9._]", local):
        return True
    return any(t.low in EMAIL_CONTEXT for t in before[-_CONTEXT_WINDOW:])


def join_urls(tokens: list[Token]) -> list[Token]:
    """A scheme before a host ("https colon slash slash ...") and a path after it."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        start = i
        scheme = ""
        size = _at(
            tokens, i, ("http", "colon", "slash", "slash"), ("https", "colon", "slash", "slash")
        )
        if size and i + size < len(tokens) and is_host(tokens[i + size].low):
            scheme = tokens[i].low + "://"
            i += size
        if is_host(tokens[i].low) and (scheme or _at(tokens, i + 1, *_SLASH)):
            url, i = _with_path(tokens, i)
            out.append(Token(scheme + url, tokens[i - 1].pause))
        else:
            out.append(tokens[start])
            i = start + 1
    return out


def _with_path(tokens: list[Token], i: int) -> tuple[str, int]:
    """The host at ``i`` and the spoken path after it ("slash abc slash page dot html")."""
    url = tokens[i].low
    i += 1
    while i < len(tokens) and not tokens[i - 1].pause:
        size = _at(tokens, i, *_SLASH)
        if not size or tokens[i + size - 1].pause:
            break
        segment, end = _segment(tokens, i + size)
        if not segment:
            break
        url += "/" + segment
        i = end
    return url, i


def _segment(tokens: list[Token], i: int) -> tuple[str, int]:
    """One path segment at ``i``: words joined by spoken "dot", "dash" ("page dot html")."""
    if i >= len(tokens) or not _SEGMENT.fullmatch(tokens[i].text):
        return "", i
    text, j = tokens[i].text, i + 1
    while (
        j + 1 < len(tokens)
        and tokens[j].low in _PATH_JOINERS
        and not tokens[j - 1].pause
        and not tokens[j].pause
        and _SEGMENT.fullmatch(tokens[j + 1].text)
    ):
        text += _PATH_JOINERS[tokens[j].low] + tokens[j + 1].text
        j += 2
    return text, j
