"""Spoken forms rewritten to written ones, before the matchers run."""

from __future__ import annotations

import pytest

from transcripts.text.spoken import normalize
from transcripts.text.tokens import Token, render, tokenize


def rewrite(text: str) -> str:
    return render(normalize(tokenize(text)))[0]


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("dark wolf forty two", "dark wolf 42"),
        ("dark wolf four two", "dark wolf 42"),
        ("six thirteen five five five", "613555"),
        ("five five five oh one four two", "5550142"),
        ("double five triple oh", "55000"),
        ("one hundred and five", "105"),
        ("one hundred twenty three", "123"),
        ("one eight hundred", "1800"),
        ("twenty twenty four", "2024"),
        ("two thousand and five", "2005"),
        ("five thousand three hundred twenty one", "5321"),
        ("6 1 3 5 5 5", "613555"),
        ("613 555 0142", "613 555 0142"),
        ("forty, two", "40, 2"),
        ("oh no", "oh no"),
        ("w w w", "www"),
        ("double u double u double u", "www"),
        ("d w forty two", "dw42"),
        ("i a", "i a"),
        ("a man", "a man"),
        ("dark underscore wolf", "dark_wolf"),
        ("example dot com dot and then", "example.com dot and then"),
        ("example dot co dot uk", "example.co.uk"),
        ("the dot com", "the dot com"),
        ("example dot com forward slash a b c", "example.com/abc"),
        ("example dot com, slash abc", "example.com, slash abc"),
        ("h t t p colon slash slash example dot com", "http://example.com"),
        ("bob at example dot com", "bob at example.com"),
        ("bob at sign example dot com", "bob@example.com"),
        ("bob at gmail dot com", "bob@gmail.com"),
        ("email bob at example dot com", "email bob@example.com"),
        ("bob seven at example dot com", "bob7@example.com"),
        ("I was at home", "I was at home"),
    ],
)
def test_rewrite(spoken: str, written: str) -> None:
    assert rewrite(spoken) == written


def test_tokens_keep_case_and_mark_pauses() -> None:
    assert tokenize('He said: "see Example.com/AbC." (ok)') == [
        Token("He"),
        Token("said", pause=True),
        Token("see"),
        Token("Example.com/AbC", pause=True),
        Token("ok"),
    ]
