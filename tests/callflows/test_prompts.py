"""Prompt files: the same keys and placeholders in English and French."""

from __future__ import annotations

import pytest

from callflows import PromptError, Prompts, load_prompts_text, spell_digits
from callflows.prompts import placeholders


def test_both_languages_have_the_same_keys(prompts: Prompts) -> None:
    assert prompts.tags == ("en-CA", "fr-CA")
    assert prompts.keys("en-CA") == prompts.keys("fr-CA")


def test_placeholders_match_across_languages(prompts: Prompts) -> None:
    for key in prompts.keys("en-CA"):
        english = placeholders(prompts.texts["en-CA"][key])
        assert english == placeholders(prompts.texts["fr-CA"][key]), key


@pytest.mark.parametrize(
    ("tag", "key", "params", "expected"),
    [
        ("en-CA", "close.reference", {"reference": "4, 0, 1"}, "Your report number is 4, 0, 1."),
        ("fr-CA", "close.reference", {"reference": "4, 0, 1"}, "signalement est le 4, 0, 1."),
        ("fr-CA", "number.confirm", {"number": "6, 1, 3"}, "Vous avez composé le 6, 1, 3."),
        ("en-CA", "safety.danger", {}, "call 9-1-1."),
    ],
)
def test_text_fills_placeholders(
    prompts: Prompts, tag: str, key: str, params: dict[str, str], expected: str
) -> None:
    assert expected in prompts.text(tag, key, **params)


def test_multiline_prompts_are_collapsed_to_one_line(prompts: Prompts) -> None:
    for tag in prompts.tags:
        for key in prompts.keys(tag):
            text = prompts.texts[tag][key]
            assert "\n" not in text and "  " not in text, key


@pytest.mark.parametrize(
    ("tag", "key", "fragment"),
    [
        ("de-DE", "a.b", "no prompt 'a.b' in de-DE"),
        ("en-CA", "a.missing", "no prompt 'a.missing' in en-CA"),
        ("en-CA", "a.b", "needs reference"),
    ],
)
def test_text_errors(tag: str, key: str, fragment: str) -> None:
    prompts = load_prompts_text({"en-CA": '[a]\nb = "Number {reference}."'})
    with pytest.raises(PromptError, match=fragment):
        prompts.text(tag, key)


@pytest.mark.parametrize(
    "text",
    [
        '[a]\nb = "{number.real}"',
        '[a]\nb = " "',
        '[a]\nb = "{0}"',
        '[a]\nb = "oops {"',
        "[a]\nb = 3",
        "a = [",
    ],
)
def test_bad_prompt_files_are_refused(text: str) -> None:
    with pytest.raises(PromptError):
        load_prompts_text({"en-CA": text})


@pytest.mark.parametrize(("digits", "spoken"), [("401", "4, 0, 1"), ("7", "7"), ("", "")])
def test_spell_digits(digits: str, spoken: str) -> None:
    assert spell_digits(digits) == spoken
