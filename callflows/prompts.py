"""Spoken prompts per language tag ("en-CA", "fr-CA"), loaded from `prompts/*.toml`."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from string import Formatter

PLACEHOLDERS = frozenset({"reference", "number"})
"""The `{placeholders}` the engine fills: the report number and the callback number."""


class PromptError(ValueError):
    """A prompt file that cannot be loaded, or a prompt that cannot be filled in."""


def spell_digits(digits: str) -> str:
    """ "401" -> "4, 0, 1": text-to-speech then reads a number digit by digit."""
    return ", ".join(digits)


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` a prompt text uses (PromptError for anything but plain names)."""
    try:
        names = [name for _, name, spec, conv in Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise PromptError(f"bad braces in {text!r}: {exc}") from exc
    for name in names:
        if not name.isidentifier():
            raise PromptError(f"placeholder {{{name}}} in {text!r} is not a plain name")
    return frozenset(names)


@dataclass(frozen=True)
class Prompts:
    """Prompt texts by language tag, then by dotted key ("main.menu")."""

    texts: Mapping[str, Mapping[str, str]]

    @property
    def tags(self) -> tuple[str, ...]:
        """The language tags present, sorted."""
        return tuple(sorted(self.texts))

    def has(self, tag: str, key: str) -> bool:
        """Whether `key` exists in language `tag`."""
        return key in self.texts.get(tag, {})

    def keys(self, tag: str) -> frozenset[str]:
        """Every prompt key of language `tag`."""
        return frozenset(self.texts.get(tag, {}))

    def text(self, tag: str, key: str, **params: str) -> str:
        """The prompt `key` in language `tag` with its `{placeholders}` filled from params."""
        try:
            template = self.texts[tag][key]
        except KeyError:
            raise PromptError(f"no prompt {key!r} in {tag}") from None
        missing = placeholders(template) - set(params)
        if missing:
            raise PromptError(f"prompt {key!r} in {tag} needs {', '.join(sorted(missing))}")
        return template.format_map(params)


def load_prompts() -> Prompts:
    """Load every `callflows/prompts/<tag>.toml` shipped with the package."""
    folder = resources.files("callflows").joinpath("prompts")
    texts = {
        entry.name.removesuffix(".toml"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }
    return load_prompts_text(texts)


def load_prompts_text(texts: Mapping[str, str]) -> Prompts:
    """Build Prompts from TOML texts by language tag (nested tables give dotted keys)."""
    parsed: dict[str, dict[str, str]] = {}
    for tag, text in texts.items():
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PromptError(f"{tag}: invalid TOML: {exc}") from exc
        parsed[tag] = _flatten(tag, "", data)
    return Prompts(texts=parsed)


def _flatten(tag: str, prefix: str, table: Mapping[str, object]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(tag, f"{key}.", value))
        elif isinstance(value, str) and value.strip():
            placeholders(value)  # fail at load time, not during a call
            flat[key] = " ".join(value.split())
        else:
            raise PromptError(f"{tag}: {key} must be non-empty text")
    return flat
